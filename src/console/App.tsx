/**
 * The console: reads the server's console config, asks for the key when one is required, then shows
 * the page the hash names. A 401 from any request brings the sign-in form back.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { onSignOut, signOut } from './api/auth';
import { loadConsoleConfig } from './api/config';
import type { ConsoleConfig } from './api/types';
import { Layout } from './components/Layout';
import { CampaignList } from './pages/CampaignList';
import { CampaignView } from './pages/campaign/CampaignView';
import { DncPage } from './pages/dnc/DncPage';
import { NewCampaign } from './pages/newCampaign/NewCampaign';
import { SignIn } from './pages/SignIn';
import { type Route, useRoute } from './router';

export function App() {
  const route = useRoute();
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const [configProblem, setConfigProblem] = useState<string | null>(null);
  const [signedIn, setSignedIn] = useState(false);
  const [signInMessage, setSignInMessage] = useState<string | null>(null);

  const load = useCallback(() => {
    setConfigProblem(null);
    loadConsoleConfig().then(setConfig, (err: unknown) => setConfigProblem(err instanceof Error ? err.message : String(err)));
  }, []);
  useEffect(load, [load]);
  useEffect(
    () =>
      onSignOut((message) => {
        setSignedIn(false);
        setSignInMessage(message);
      }),
    [],
  );

  if (config === null) {
    return (
      <main id="main" class="signin">
        <div class="card signin-card" role={configProblem === null ? 'status' : 'alert'}>
          {configProblem === null ? (
            <p>Loading…</p>
          ) : (
            <>
              <h1>The console cannot start</h1>
              <p>{configProblem}</p>
              <button type="button" class="button" onClick={load}>
                Try again
              </button>
            </>
          )}
        </div>
      </main>
    );
  }
  if (config.authRequired && !signedIn) return <SignIn message={signInMessage} onSignedIn={() => setSignedIn(true)} />;
  return (
    <Layout route={route} onSignOut={config.authRequired ? () => signOut(null) : undefined}>
      <Page route={route} config={config} />
    </Layout>
  );
}

function Page({ route, config }: { route: Route; config: ConsoleConfig }) {
  switch (route.page) {
    case 'campaigns':
      return <CampaignList config={config} />;
    case 'new-campaign':
      return <NewCampaign />;
    case 'campaign':
      // Keyed by id: another campaign's page starts afresh (its own stream, filters, pages).
      return <CampaignView key={route.campaignId} campaignId={route.campaignId} config={config} />;
    case 'dnc':
      return <DncPage />;
  }
}
