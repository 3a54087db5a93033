/**
 * `npm run new-developer -- <id>`: writes stacks/Pulumi.dev-<id>.yaml from the example
 * developer stack. Refuses an invalid id or an existing file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isName, NAME_MAX } from "../lib/patterns";

export function newDeveloperStack(id: string | undefined, stacksDir: string): string {
    if (!id || !isName(id)) {
        throw new Error(
            `new-developer: ${JSON.stringify(id ?? "")} is not a valid developer id; use lowercase letters, digits and single dashes, 1 to ${NAME_MAX} characters (it becomes the image name prefix <id>-)`,
        );
    }
    const target = path.join(stacksDir, `Pulumi.dev-${id}.yaml`);
    if (fs.existsSync(target)) {
        throw new Error(`new-developer: stacks/Pulumi.dev-${id}.yaml exists already; edit it, or pick another id`);
    }
    const example = fs.readFileSync(path.join(stacksDir, "Pulumi.dev-example.yaml"), "utf8");
    const text = example
        .replace(
            /^# A developer stack\. Copy with.*\n# It owns/m,
            `# Developer stack of ${id}: pulumi stack init dev-${id}, then pulumi up.\n# It owns`,
        )
        .replace(/^config:\n/m, `config:\n  fireworker-images:developer: ${id}\n`);
    fs.writeFileSync(target, text, { flag: "wx" });
    return target;
}

if (require.main === module) {
    try {
        const file = newDeveloperStack(process.argv[2], path.resolve(__dirname, "..", "stacks"));
        process.stdout.write(
            `wrote ${path.relative(process.cwd(), file)}; next: pulumi stack init dev-${process.argv[2]} && pulumi up\n`,
        );
    } catch (err) {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exit(2);
    }
}
