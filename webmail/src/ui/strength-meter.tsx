import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../shell/i18n';

/** The server's rules (src/auth/password-policy.ts): at least 12 characters, zxcvbn's score 3. */
export const MIN_PASSWORD_LENGTH = 12;
const MIN_SCORE = 3;

type Estimator = (password: string, inputs: string[]) => 0 | 1 | 2 | 3 | 4;
let estimator: Promise<Estimator> | undefined;

/**
 * zxcvbn-ts with the dictionary the server's policy uses (@zxcvbn-ts/language-common, its most
 * common passwords and keyboard patterns), loaded only when a password is being chosen: it
 * weighs more than the rest of the app.
 */
function loadEstimator(): Promise<Estimator> {
  estimator ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]).then(
    ([core, common]) => {
      const factory = new core.ZxcvbnFactory({
        dictionary: common.dictionary,
        graphs: common.adjacencyGraphs,
      });
      return (password, inputs) => factory.check(password, inputs).score;
    },
  );
  return estimator;
}

/** The person's login and similar words, lowercased and split, as zxcvbn's user inputs. */
function userInputs(inputs: string[]): string[] {
  return inputs.flatMap((i) => [i, ...i.toLowerCase().split(/[@._+-]/)]).filter((i) => i.length >= 3);
}

/**
 * How strong a new password is, in words (never by colour alone), with the server's rules ticked
 * as they are met. The server has the last word; the meter helps choose before sending.
 */
export function StrengthMeter(props: { id: string; password: string; inputs: string[] }) {
  const { t } = useI18n();
  const [score, setScore] = useState<number | undefined>();
  useEffect(() => {
    let stale = false;
    if (!props.password) {
      setScore(undefined);
      return;
    }
    void loadEstimator().then((estimate) => {
      if (!stale) setScore(estimate(props.password, userInputs(props.inputs)));
    });
    return () => {
      stale = true;
    };
  }, [props.password, props.inputs.join('\n')]);

  const length = [...props.password].length;
  const lower = props.password.toLowerCase();
  const login = props.inputs[0]?.toLowerCase().split('@')[0] ?? '';
  const containsLogin = login.length >= 4 && lower.includes(login);
  const rules = [
    {
      ok: length >= MIN_PASSWORD_LENGTH,
      text: t('shell:strength.ruleLength', { count: MIN_PASSWORD_LENGTH }),
    },
    { ok: props.password !== '' && !containsLogin, text: t('shell:strength.ruleLogin') },
    { ok: props.password !== '' && (score ?? 0) >= MIN_SCORE, text: t('shell:strength.ruleGuess') },
  ];
  const shown = props.password ? (score ?? 0) : 0;
  return (
    <div id={props.id} class="strength">
      <p class="strength-label" id={`${props.id}-label`}>
        {t('shell:strength.label')}{' '}
        <strong>{props.password ? t(`shell:strength.score${shown}`) : t('shell:strength.empty')}</strong>
      </p>
      <meter
        class="strength-meter"
        min={0}
        max={4}
        low={2}
        high={3}
        optimum={4}
        value={shown}
        aria-labelledby={`${props.id}-label`}
      />
      <ul class="strength-rules">
        {rules.map((rule) => (
          <li key={rule.text} class={rule.ok ? 'rule-ok' : 'rule-todo'}>
            <span aria-hidden="true">{rule.ok ? '✓ ' : '○ '}</span>
            <span class="visually-hidden">
              {rule.ok ? t('shell:strength.met') : t('shell:strength.unmet')}{' '}
            </span>
            {rule.text}
          </li>
        ))}
      </ul>
    </div>
  );
}
