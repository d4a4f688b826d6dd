import { useI18n } from '../../shell/i18n';
import type { Relay } from '../lib/types';
import { StateBadge } from './status-badge';

const HEALTH_TONE = { up: 'ok', down: 'error', unknown: 'unknown' } as const;
const STATE_TONE = { active: 'ok', draining: 'warning', disabled: 'neutral' } as const;

export function RelayHealthBadge(props: { relay: Relay }) {
  const { t } = useI18n();
  return (
    <StateBadge
      tone={HEALTH_TONE[props.relay.health.status]}
      label={t(`console:relays.health.${props.relay.health.status}`)}
    />
  );
}

export function RelayStateBadge(props: { relay: Relay }) {
  const { t } = useI18n();
  return (
    <StateBadge
      tone={STATE_TONE[props.relay.state]}
      label={t(`console:relays.states.${props.relay.state}`)}
    />
  );
}

/** DNSBL hits in words: "none", or the lists that name one of the relay's sending addresses. */
export function DnsblHits(props: { relay: Relay }) {
  const { t } = useI18n();
  const hits = props.relay.health.dnsblListings ?? [];
  if (hits.length === 0) return <StateBadge tone="ok" label={t('console:relays.dnsblNone')} />;
  return (
    <>
      <StateBadge tone="error" label={t('console:relays.dnsblHits', { count: hits.length })} />
      <ul class="plain">
        {hits.map((h) => (
          <li key={`${h.ip}-${h.zone}`}>
            <code>{h.ip}</code> — {h.zone}
          </li>
        ))}
      </ul>
    </>
  );
}

const CIRCUIT_TONE = { closed: 'ok', open: 'error', 'half-open': 'warning', unknown: 'unknown' } as const;

/** This node's circuit breaker for the relay: open means the gateway skips it for now. */
export function CircuitBadge(props: { relay: Relay }) {
  const { t } = useI18n();
  const c = props.relay.health.circuit;
  return <StateBadge tone={CIRCUIT_TONE[c]} label={t(`console:relays.circuit.${c}`)} />;
}
