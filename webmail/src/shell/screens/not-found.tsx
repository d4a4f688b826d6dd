import { Screen } from '../../ui/screen';
import { useI18n } from '../i18n';

export function NotFoundScreen(props: { home: string }) {
  const { t } = useI18n();
  return (
    <Screen title={t('shell:notFound.title')}>
      <p>{t('shell:notFound.text')}</p>
      <p>
        <a href={props.home}>{t('shell:notFound.home')}</a>
      </p>
    </Screen>
  );
}
