// Entry point: builds the page, installs the test hook, asks the server what it can carry,
// and joins straight away when the URL names a valid room and name
// (/?room=NAME&name=NAME) with a transport the server offers; otherwise shows the form,
// with what the link had right kept and what it had wrong explained.
// `transport=auto|udp|tcp|turn` picks the network path media may take.
import { installDebugHook } from './ui/debugHook.js';
import { joinsAtOnce, readDeepLink } from './ui/deepLink.js';
import { fetchPageConfig } from './call/pageConfig.js';
import { transportUnavailable } from './call/transportChoice.js';
import { CallPage } from './ui/ui.js';

async function start(): Promise<void> {
  const root = document.getElementById('app');
  if (!root) throw new Error('index.html has no #app element');
  const page = new CallPage(root);
  installDebugHook({ call: () => page.currentCall, openStats: () => page.openStats() });

  const link = readDeepLink(location.search);
  const config = await fetchPageConfig();
  page.setPageConfig(config);
  if (joinsAtOnce(link) && !transportUnavailable(config?.transports, link.transport)) {
    page.join(link.room, link.name, link.transport);
  } else {
    page.showForm({ room: link.room, name: link.name, transport: link.transport, problems: link.problems });
  }
}

void start();
