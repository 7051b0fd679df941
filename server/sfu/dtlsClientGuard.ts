// A guard around werift 0.25's DTLS client, the role the SFU takes on every connection
// (rtcConfig.ts: offerAsDtlsClient; as answerer werift picks `active` anyway).
//
// The defect: when the browser (the DTLS server) resends its flight 4 (ServerHello ..
// ServerHelloDone) because our flight 5 took longer than its retransmission timer (~50 ms
// on loopback; our flight 5 costs an ECDH, a signature and key derivation in JavaScript),
// werift handles the second copy concurrently with the first. Its ServerKeyExchange
// handler makes a new key pair, and if the copy's ServerHelloDone is handled after the
// browser's Finished, werift runs flight 5 again: new premaster secret, new record keys.
// SRTP keys were already exported, so media keeps flowing, but every DTLS record the
// browser sends afterwards fails to decrypt: SCTP never sees the browser's INIT or COOKIE
// ECHO, and the data channels never open. Seen here in about one ICE-TCP call in five.
//
// The guard passes each flight-4 message type to werift once and drops repeats. Nothing
// is lost by that: werift retransmits its own flight 5 on a timer until the browser's
// Finished arrives, which is what the repeat would have triggered.
import { DtlsClient, RTCDtlsTransport } from 'werift';

/** Handshake types of the server's flight 4: ServerHello, Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone. */
const SERVER_FLIGHT_4 = new Set([2, 11, 12, 13, 14]);

let installed = false;

/** Installs the guard for every DTLS transport created from now on in this process (idempotent). */
export function guardDtlsClients(): void {
  if (installed) return;
  installed = true;
  const start = RTCDtlsTransport.prototype.start;
  RTCDtlsTransport.prototype.start = function startGuarded(this: RTCDtlsTransport): Promise<void> {
    const started = start.call(this);
    // start() creates its DtlsClient synchronously and sends the ClientHello 100 ms later,
    // so the guard is in place before any flight 4 can arrive.
    if (this.dtls instanceof DtlsClient) dropRepeatedFlight4(this.dtls);
    return started;
  };
}

function dropRepeatedFlight4(client: DtlsClient): void {
  const handle = client.onHandleHandshakes;
  const passed = new Set<number>();
  client.onHandleHandshakes = (assembled) => {
    const fresh = assembled.filter((h) => !SERVER_FLIGHT_4.has(h.msg_type) || !passed.has(h.msg_type));
    for (const h of fresh) if (SERVER_FLIGHT_4.has(h.msg_type)) passed.add(h.msg_type);
    return fresh.length > 0 ? handle(fresh) : Promise.resolve();
  };
}
