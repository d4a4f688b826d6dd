import jsQR from 'jsqr';
import type { Locator } from 'playwright-core';

/**
 * Reads the QR code an <svg> of the console draws (one path of 1×1 squares, `M{x} {y}h1v1h-1z`,
 * in a viewBox with its quiet zone) the way a phone would: rasterized, then decoded by jsQR.
 */
export async function readQrCode(svg: Locator): Promise<string | undefined> {
  const { viewBox, d } = await svg.evaluate((el) => ({
    viewBox: el.getAttribute('viewBox') ?? '',
    d: el.querySelector('path')?.getAttribute('d') ?? '',
  }));
  const modules = Number(viewBox.split(' ')[2]);
  const scale = 4;
  const size = modules * scale;
  const pixels = new Uint8ClampedArray(size * size * 4).fill(255);
  for (const [, x, y] of d.matchAll(/M(\d+) (\d+)h1v1h-1z/g)) {
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) {
        const i = ((Number(y) * scale + dy) * size + Number(x) * scale + dx) * 4;
        pixels[i] = pixels[i + 1] = pixels[i + 2] = 0;
      }
    }
  }
  return jsQR(pixels, size, size)?.data;
}
