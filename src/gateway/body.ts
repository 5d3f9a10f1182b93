import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/** Where a pump writes: `write` false means wait for `drain`. */
export interface BodySink {
  write(chunk: Buffer): boolean;
  end(): void;
  once(event: 'drain', fn: () => void): unknown;
}

/**
 * The body of one upstream attempt as undici reads it: a Readable the pump pushes
 * into (`write` → push, `drain` when undici wants more). A new one per attempt, so
 * an attempt undici abandoned never takes bytes meant for the next.
 */
export class UpstreamBody extends Readable implements BodySink {
  override _read(): void {
    this.emit('drain');
  }

  write(chunk: Buffer): boolean {
    if (this.destroyed) return true;
    return this.push(chunk);
  }

  end(): void {
    if (!this.destroyed) this.push(null);
  }
}

/**
 * Streams a client's request body to the current upstream request with
 * backpressure, counting bytes (chunked bodies are limited while they stream)
 * and keeping the first `replayLimit` bytes so that a request whose upstream
 * connection failed can be replayed on another instance.
 */
export class BodyPump {
  private target: BodySink | null = null;
  private kept: Buffer[] | null = [];
  private keptBytes = 0;
  private listening = false;
  bytes = 0;
  ended = false;

  constructor(
    private readonly src: IncomingMessage,
    private readonly replayLimit: number,
    private readonly maxBytes: number,
    private readonly onTooLarge: () => void,
  ) {}

  /** True while every byte read so far can be sent again. */
  replayable(): boolean {
    return this.bytes === 0 || this.kept !== null;
  }

  attach(target: BodySink): void {
    this.target = target;
    if (this.kept) for (const chunk of this.kept) target.write(chunk);
    if (this.ended) {
      target.end();
      return;
    }
    if (!this.listening) {
      this.listening = true;
      this.src.on('data', this.onData);
      this.src.on('end', this.onEnd);
    }
    this.src.resume();
  }

  detach(): void {
    this.target = null;
    this.src.pause();
  }

  private onData = (chunk: Buffer): void => {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      this.kept = null;
      this.target = null;
      this.src.pause();
      this.onTooLarge();
      return;
    }
    if (this.kept) {
      if (this.keptBytes + chunk.length <= this.replayLimit) {
        this.kept.push(chunk);
        this.keptBytes += chunk.length;
      } else this.kept = null;
    }
    const t = this.target;
    if (!t) {
      this.src.pause();
      return;
    }
    if (!t.write(chunk)) {
      this.src.pause();
      t.once('drain', () => {
        if (this.target === t) this.src.resume();
      });
    }
  };

  private onEnd = (): void => {
    this.ended = true;
    this.target?.end();
  };
}
