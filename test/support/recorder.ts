/** A log stream that keeps what it is given, for tests and benches that read a build's log. */
import { Writable } from "node:stream";

/** `text()` is everything written so far, decoded once (a character may be split between chunks). */
export function recorder(): { stream: Writable; text: () => string } {
    const chunks: Buffer[] = [];
    const stream = new Writable({
        write: (chunk: Buffer, _encoding, done) => {
            chunks.push(Buffer.from(chunk));
            done();
        },
    });
    return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}
