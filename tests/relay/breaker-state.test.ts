import { circuitStateOf, publishBreakers } from '../../src/relay/breaker-state';
import { CircuitBreakers } from '../../src/relay/circuit-breaker';
import { testClock } from '../support/context';

describe('the circuit state the API shows', () => {
  afterEach(() => publishBreakers(undefined));

  it('follows the running gateway’s breakers: closed, open after failures, half-open after the cool-down', () => {
    const clock = testClock();
    const breakers = new CircuitBreakers({ failureThreshold: 2, coolDownMs: 60_000, now: clock.now });
    expect(circuitStateOf('r1')).toBe('unknown');
    publishBreakers(breakers);
    expect(circuitStateOf('r1')).toBe('closed');
    breakers.failure('r1');
    breakers.failure('r1');
    expect(circuitStateOf('r1')).toBe('open');
    clock.advance(60_000);
    expect(circuitStateOf('r1')).toBe('half-open');
    breakers.success('r1');
    expect(circuitStateOf('r1')).toBe('closed');
  });
});
