// Entry point: builds the page, installs the test hook, and joins straight away when the
// URL names both a room and a name (/?room=NAME&name=NAME); otherwise shows the form.
// `transport=auto|udp|tcp|turn` picks the network path media may take.
import { installDebugHook } from './debugHook.js';
import { parseTransportChoice } from './transportChoice.js';
import { CallPage } from './ui.js';
import { displayNameProblem, roomNameProblem } from './validation.js';

function start(): void {
  const root = document.getElementById('app');
  if (!root) throw new Error('index.html has no #app element');
  const page = new CallPage(root);
  installDebugHook({ call: () => page.currentCall, openStats: () => page.openStats() });

  const params = new URLSearchParams(location.search);
  const room = (params.get('room') ?? '').trim();
  const name = (params.get('name') ?? '').trim();
  const transport = parseTransportChoice(params.get('transport'));
  if (room && name && !roomNameProblem(room) && !displayNameProblem(name)) {
    page.join(room, name, transport);
  } else {
    page.showForm(roomNameProblem(room) ? '' : room, transport);
  }
}

start();
