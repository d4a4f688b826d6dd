import { useI18n } from '../../shell/i18n';
import { isLongTxt, relativeName, valueParts } from '../lib/records';
import type { PlannedRecord } from '../lib/types';
import { CopyButton } from '../../ui/copy-button';

/**
 * One record to publish, field by field as DNS hosts' forms ask for them, each with its own copy
 * button: type, name (short form and full form: registrars differ on `@` and the final dot),
 * the value (or priority and target), the TTL.
 */
export function RecordCard(props: { record: PlannedRecord; domain: string }) {
  const { t, language } = useI18n();
  const r = props.record;
  const short = relativeName(r.name, props.domain);
  return (
    <div class="record">
      <p class="record-purpose">{r.purpose[language]}</p>
      <dl class="record-fields">
        <div>
          <dt>{t('console:record.type')}</dt>
          <dd>
            <code>{r.type}</code>
          </dd>
        </div>
        <div>
          <dt>{t('console:record.name')}</dt>
          <dd>
            <code>{short}</code>
            <CopyButton text={short} label={t('console:record.copyName', { type: r.type, name: short })} />
          </dd>
        </div>
        {short !== r.name && (
          <div>
            <dt>{t('console:record.fullName')}</dt>
            <dd>
              <code>{r.name}</code>
              <CopyButton text={r.name} label={t('console:record.copyFullName', { name: r.name })} />
            </dd>
          </div>
        )}
        {valueParts(r).map((p) => (
          <div key={p.part}>
            <dt>{t(`console:record.parts.${p.part}`)}</dt>
            <dd>
              <code class="record-value">{p.value}</code>
              <CopyButton
                text={p.value}
                label={t('console:record.copyPart', {
                  part: t(`console:record.parts.${p.part}`),
                  name: short,
                })}
              />
            </dd>
          </div>
        ))}
        <div>
          <dt>{t('console:record.ttl')}</dt>
          <dd>
            <code>{r.ttl}</code>
          </dd>
        </div>
      </dl>
      {isLongTxt(r) && <p class="trap">{t('console:traps.longTxt')}</p>}
    </div>
  );
}
