import qrcode from 'qrcode-generator';
import { useMemo } from 'preact/hooks';

/**
 * A QR code drawn here, in the page, as SVG: the secret it carries (an otpauth:// URI) never
 * goes to an image service. One path of dark modules, on a light quiet zone of 4 modules
 * (ISO/IEC 18004 §6.3.8), in black on white whatever the theme, since scanners need contrast.
 */
export function QrCode(props: { text: string; label: string; size?: number }) {
  const { path, count } = useMemo(() => {
    const qr = qrcode(0, 'M');
    qr.addData(props.text, 'Byte');
    qr.make();
    const n = qr.getModuleCount();
    const parts: string[] = [];
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        if (qr.isDark(row, col)) parts.push(`M${col + 4} ${row + 4}h1v1h-1z`);
      }
    }
    return { path: parts.join(''), count: n + 8 };
  }, [props.text]);
  const size = props.size ?? 224;
  return (
    <svg
      class="qr-code"
      role="img"
      aria-label={props.label}
      width={size}
      height={size}
      viewBox={`0 0 ${count} ${count}`}
      shape-rendering="crispEdges"
    >
      <rect width={count} height={count} fill="#ffffff" />
      <path d={path} fill="#000000" />
    </svg>
  );
}
