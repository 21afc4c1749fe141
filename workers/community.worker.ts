// The community worker: one per device (a SharedWorker, shared by every tab), holding every open
// community's document, gate, repair, projection writer and relay links (src/lib/sync/doc-host.ts).
// Each tab connects a port; comlink serves the typed surface (doc-port.ts) on it, and the tab's
// event port receives every HostEvent.
import * as Comlink from 'comlink';
import { DocHost } from '../src/lib/sync/doc-host';
import type { HostEvent } from '../src/lib/sync/doc-port';
import { openDb } from '../src/lib/store/db';
import { loadMemberStats, memberStatsVersion } from './members/member-stats';

// Automation reads member stats here, from the same database, as the analysis worker does.
const host = new DocHost(openDb(), async (cid, now) => loadMemberStats(cid, now, await memberStatsVersion(cid, now)));

function serve(port: MessagePort): void {
  const api = {
    open: (cid: string) => host.open(cid),
    append: (cid: string, record: Parameters<DocHost['append']>[1]) => host.append(cid, record),
    settled: (cid: string) => host.settled(cid),
    importRecords: (cid: string, records: Parameters<DocHost['importRecords']>[1]) => host.importRecords(cid, records),
    exportRecords: (cid: string) => host.exportRecords(cid),
    receive: (doc: string, message: Uint8Array) => host.receive(doc, message),
    openLobby: (cid: string) => host.openLobby(cid),
    closeLobby: (id: string) => host.closeLobby(id),
    startRelay: (cid: string, options: Parameters<DocHost['startRelay']>[1]) => host.startRelay(cid, options),
    relay: (cid: string, action: 'connect' | 'disconnect') => host.relay(cid, action),
    proveRelay: (cid: string, identity: Parameters<DocHost['proveRelay']>[1]) => host.proveRelay(cid, identity),
    presentRelay: (cid: string, state: Record<string, unknown> | null) => host.presentRelay(cid, state),
    stopRelay: (cid: string) => host.stopRelay(cid),
    automate: (cid: string, identity: Parameters<DocHost['automate']>[1]) => host.automate(cid, identity),
    release: (cid: string) => host.release(cid),
    listen(events: MessagePort) {
      // A closed tab's port just drops what is posted to it.
      host.subscribe((event: HostEvent) => events.postMessage(event));
    }
  };
  Comlink.expose(api, port);
}

const scope = self as unknown as { onconnect: ((e: MessageEvent) => void) | null; postMessage?: unknown };
if ('onconnect' in scope) scope.onconnect = (e: MessageEvent) => serve(e.ports[0]);
else serve(self as unknown as MessagePort); // run as a dedicated worker
