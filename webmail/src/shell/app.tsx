import { ErrorBoundary, LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Alert } from '../ui/alert';
import { Frame, PublicFrame } from '../ui/frame';
import { LiveRegion } from '../ui/live-region';
import { Redirect } from '../ui/redirect';
import { announce } from './announce';
import { onUnauthenticated } from './api';
import { areaPath, type Area } from './areas';
import { describeError } from './errors';
import { currentLanguage, LanguageContext, onLanguageChanged, t, useI18n, type Language } from './i18n';
import { ChangePasswordScreen } from './screens/change-password';
import { LoginScreen } from './screens/login';
import { NotFoundScreen } from './screens/not-found';
import { fetchMe, forgetLocalState, logOut, SessionContext, type Me, type Session } from './session';

type State =
  | { status: 'loading' }
  | { status: 'failed'; error: unknown }
  | { status: 'out'; notice?: string }
  | { status: 'in'; me: Me };

/** Where a logged-out visitor was going, to take them there after login. */
let intended: string | undefined;

export function App(props: { areas: Area[] }) {
  const [language, setLanguage] = useState<Language>(currentLanguage());
  useEffect(() => onLanguageChanged(setLanguage), []);
  return (
    <LanguageContext.Provider value={language}>
      <LocationProvider>
        <LiveRegion />
        <Gate areas={[...props.areas].sort((a, b) => a.order - b.order)} />
      </LocationProvider>
    </LanguageContext.Provider>
  );
}

function Gate(props: { areas: Area[] }) {
  const { t } = useI18n();
  const location = useLocation();
  const [state, setState] = useState<State>({ status: 'loading' });

  const load = async () => {
    try {
      const me = await fetchMe();
      setState(me ? { status: 'in', me } : { status: 'out' });
    } catch (error) {
      setState({ status: 'failed', error });
    }
  };
  useEffect(() => {
    void load();
  }, []);
  useEffect(
    () =>
      onUnauthenticated(() => {
        void forgetLocalState();
        setState({ status: 'out', notice: 'shell:login.expired' });
      }),
    [],
  );

  if (state.status === 'loading') {
    return (
      <p class="loading" aria-busy="true">
        {t('shell:app.loading')}
      </p>
    );
  }
  if (state.status === 'failed') {
    return (
      <PublicFrame>
        <div class="screen screen-narrow">
          <h1>{t('shell:app.unreachable')}</h1>
          <Alert kind="error">{describeError(state.error)}</Alert>
          <button type="button" class="button" onClick={() => void load()}>
            {t('shell:app.retry')}
          </button>
        </div>
      </PublicFrame>
    );
  }
  if (state.status === 'out') {
    const onLoggedIn = (me: Me, next?: string) => {
      setState({ status: 'in', me });
      const wanted = next ?? intended;
      intended = undefined;
      location.route(wanted && canVisit(props.areas, me, wanted) ? wanted : homeOf(props.areas, me));
    };
    const publicRoutes = props.areas.flatMap((area) => area.publicRoutes ?? []);
    if (publicRoutes.some((route) => route.path === location.path)) {
      return (
        <PublicFrame>
          <Router>
            {publicRoutes.map((route) => (
              <Route key={route.path} path={route.path} component={route.component} onLoggedIn={onLoggedIn} />
            ))}
          </Router>
        </PublicFrame>
      );
    }
    if (location.path !== '/login') {
      if (location.path !== '/') intended = location.url;
      return <Redirect to="/login" />;
    }
    return (
      <PublicFrame>
        <LoginScreen notice={state.notice && t(state.notice)} onLoggedIn={(me) => onLoggedIn(me)} />
      </PublicFrame>
    );
  }
  return <LoggedIn me={state.me} areas={props.areas} setState={setState} />;
}

function visibleAreas(areas: Area[], me: Me): Area[] {
  return areas.filter((area) => area.audience(me));
}

function homeOf(areas: Area[], me: Me): string {
  return visibleAreas(areas, me)[0]?.base ?? '/';
}

function canVisit(areas: Area[], me: Me, url: string): boolean {
  return visibleAreas(areas, me).some((area) => url === area.base || url.startsWith(`${area.base}/`));
}

function LoggedIn(props: { me: Me; areas: Area[]; setState: (s: State) => void }) {
  const location = useLocation();
  const { me, setState } = props;
  const session = useMemo<Session>(
    () => ({
      me,
      async refresh() {
        const fresh = await fetchMe();
        setState(fresh ? { status: 'in', me: fresh } : { status: 'out', notice: 'shell:login.expired' });
      },
      async logout() {
        let notice = 'shell:login.loggedOut';
        try {
          await logOut();
        } catch (e) {
          notice = 'shell:login.logoutFailed';
          announce(describeError(e));
        }
        announce(t(notice));
        setState({ status: 'out', notice });
        location.route('/login');
      },
    }),
    [me],
  );
  const areas = visibleAreas(props.areas, me);
  const home = areas[0]?.base ?? '/';

  if (me.mustChangePassword) {
    return (
      <SessionContext.Provider value={session}>
        {location.path === '/password' ? (
          <Frame>
            <ChangePasswordScreen
              onChanged={() =>
                location.route(areas[0]?.firstLogin ? areaPath(areas[0], areas[0].firstLogin) : home)
              }
            />
          </Frame>
        ) : (
          <Redirect to="/password" />
        )}
      </SessionContext.Provider>
    );
  }

  return (
    <SessionContext.Provider value={session}>
      <Router>
        <Route path="/" component={Redirect} to={home} />
        <Route path="/login" component={Redirect} to={home} />
        <Route path="/password" component={Redirect} to={home} />
        {props.areas.flatMap((area) =>
          (area.publicRoutes ?? []).map((route) => (
            // Logged in already: what a public screen offers waits in the area (an invitation).
            <Route key={route.path} path={route.path} component={Redirect} to={home} />
          )),
        )}
        {areas.flatMap((area) => [
          // `/console/*` does not match `/console` itself in preact-iso; the same key keeps the
          // frame mounted when moving between the two.
          <Route key={area.id} path={area.base} component={AreaView} area={area} />,
          <Route key={area.id} path={`${area.base}/*`} component={AreaView} area={area} />,
        ])}
        <Route default component={Lost} area={areas[0]} home={home} />
      </Router>
    </SessionContext.Provider>
  );
}

function AreaView(props: { area: Area }) {
  return (
    <Frame area={props.area}>
      <ErrorBoundary>
        <Router>
          {props.area.routes.map((route) => (
            <Route key={route.key ?? route.path} path={route.path} component={route.component} />
          ))}
          <Route default component={NotFoundScreen} home={props.area.base} />
        </Router>
      </ErrorBoundary>
    </Frame>
  );
}

function Lost(props: { area?: Area; home: string }) {
  return (
    <Frame area={props.area}>
      <NotFoundScreen home={props.home} />
    </Frame>
  );
}
