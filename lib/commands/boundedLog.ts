/**
 * The log of a build or bake command: everything goes to a file, and stderr (what `pulumi up`
 * shows live, and what the command provider keeps in the stack's state) gets only the first
 * `headBytes` and, on failure, the last lines. A Cloud Build log can be megabytes; the state
 * must stay small.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Writable } from "node:stream";

export interface BoundedLog {
    stream: Writable;
    /** The whole log's path. */
    file: string;
    /** Writes the last lines (after a failure) and closes the file. */
    close(failed: boolean): void;
}

export function boundedLog(
    file: string,
    out: NodeJS.WritableStream = process.stderr,
    headBytes = 48 * 1024,
    tailLines = 40,
): BoundedLog {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, "w");
    let shown = 0;
    let cut = false;
    let tail: string[] = [""];
    const stream = new Writable({
        write(chunk: Buffer, _enc, done) {
            fs.writeSync(fd, chunk);
            const text = chunk.toString("utf8");
            const lines = text.split("\n");
            tail[tail.length - 1] += lines[0];
            tail.push(...lines.slice(1));
            if (tail.length > tailLines + 1) tail = tail.slice(-(tailLines + 1));
            if (shown < headBytes) {
                const part = chunk.subarray(0, headBytes - shown);
                shown += part.length;
                out.write(part);
            } else if (!cut) {
                cut = true;
                out.write(
                    `\n… the rest of this log is in ${file} (not shown: the stack's state keeps what is shown)\n`,
                );
            }
            done();
        },
    });
    return {
        stream,
        file,
        close(failed: boolean) {
            fs.closeSync(fd);
            if (failed && cut) {
                const last = tail.join("\n").slice(-16 * 1024);
                out.write(`… last lines of ${file}:\n${last}\n`);
            }
        },
    };
}
