// Tells the SFU how large each remote tile is drawn, so that with simulcast it sends the
// smallest layer that fills it (`video-size`, PROTOCOL.md). Reports are debounced and sent
// only when the layer the server would choose changes: the server's answer lists the
// publisher's layer sizes, and the same choice (signaling/layers.ts) runs here.
import { chooseLayer, type PictureSize } from '../../signaling/layers.js';
import type { VideoSizeResult } from '../../signaling/protocol.js';

export type VideoSizeSender = (participantId: string, tile: PictureSize) => Promise<VideoSizeResult>;

/** Resizes within this long count as one (a window being dragged). */
export const TILE_REPORT_DEBOUNCE_MS = 250;

interface Known {
  tile: PictureSize;
  /** The publisher's layers and the one chosen, as of the last answer. */
  answer: VideoSizeResult | undefined;
  /** The size last sent. */
  sentTile?: PictureSize;
  dirty: boolean;
}

export class TileSizeReporter {
  private readonly tiles = new Map<string, Known>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private send: VideoSizeSender | undefined;

  /** A tile was drawn at `tile` device pixels. */
  report(participantId: string, tile: PictureSize): void {
    const known = this.tiles.get(participantId);
    if (known) Object.assign(known, { tile, dirty: true });
    else this.tiles.set(participantId, { tile, answer: undefined, dirty: true });
    this.schedule();
  }

  forget(participantId: string): void {
    this.tiles.delete(participantId);
  }

  /** Reports go through `send` from now on (a new connection: the server knows nothing yet); undefined stops them. */
  connect(send: VideoSizeSender | undefined): void {
    this.send = send;
    for (const known of this.tiles.values()) {
      known.answer = undefined;
      known.dirty = true;
    }
    this.schedule();
  }

  close(): void {
    clearTimeout(this.timer);
    this.send = undefined;
    this.tiles.clear();
  }

  private schedule(): void {
    if (!this.send) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), TILE_REPORT_DEBOUNCE_MS);
  }

  private flush(): void {
    const send = this.send;
    if (!send) return;
    for (const [participantId, known] of this.tiles) {
      if (!known.dirty) continue;
      known.dirty = false;
      const answer = known.answer;
      // The same layer as before: nothing to tell.
      if (answer && answer.layers.length > 0 && answer.spatialLayer === chooseLayer(answer.layers, known.tile)) continue;
      // With no layers known yet (no video consumed) the next report asks again.
      if (answer && answer.layers.length === 0 && answer.spatialLayer === null && sameSize(known.sentTile, known.tile)) continue;
      const tile = known.tile;
      known.sentTile = tile;
      send(participantId, tile).then(
        (result) => {
          if (this.tiles.get(participantId) === known) known.answer = result;
        },
        () => {
          // A refused or lost report is retried with the next resize or connection.
        },
      );
    }
  }
}

function sameSize(a: PictureSize | undefined, b: PictureSize): boolean {
  return a !== undefined && a.width === b.width && a.height === b.height;
}
