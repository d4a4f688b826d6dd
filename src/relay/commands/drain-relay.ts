import type { CommandContext } from '../../context';
import type { RelayRow } from '../relays';
import { updateRelay } from './update-relay';

/** No new traffic; messages already handed over finish normally. */
export function drainRelay(ctx: CommandContext, name: string): Promise<RelayRow> {
  return updateRelay(ctx, name, { state: 'draining' }, 'relay.drain');
}
