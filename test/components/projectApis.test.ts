import assert from "node:assert/strict";
import { ProjectApis } from "../../components/projectApis";
import { byType, planOf, planOfComponents } from "../support/plan";

describe("ProjectApis", () => {
    it("enables each API as a Service that is never disabled on destroy", async () => {
        const plan = await planOfComponents(() => {
            new ProjectApis("apis", { project: "p-123456", apis: ["iam.googleapis.com", "pubsub.googleapis.com"] });
            return {};
        });
        assert.deepEqual(
            byType(plan, "gcp:projects/service:Service").map((r) => [r.name, r.inputs]),
            [
                [
                    "apis-iam",
                    {
                        disableDependentServices: false,
                        disableOnDestroy: false,
                        project: "p-123456",
                        service: "iam.googleapis.com",
                    },
                ],
                [
                    "apis-pubsub",
                    {
                        disableDependentServices: false,
                        disableOnDestroy: false,
                        project: "p-123456",
                        service: "pubsub.googleapis.com",
                    },
                ],
            ],
        );
    });

    it("refuses to hand out an API it does not enable", async () => {
        // caught inside the program: a program that throws leaves the mock runtime to the next plan
        const plan = await planOfComponents(() => {
            const apis = new ProjectApis("apis", { project: "p-123456", apis: ["iam.googleapis.com"] });
            try {
                apis.need("compute.googleapis.com");
                return {};
            } catch (err) {
                return { error: (err as Error).message };
            }
        });
        assert.equal(
            plan.outputs.error,
            "ProjectApis: compute.googleapis.com is not enabled by this stack; add it to apisFor",
        );
    });

    it("the team stack's every Google resource waits for an API; a developer stack enables none", async () => {
        const team = await planOf("team");
        const apis = new Set(byType(team, "gcp:projects/service:Service").map((r) => r.name));
        for (const r of team.resources.filter(
            (x) => x.type.startsWith("gcp:") && x.type !== "gcp:projects/service:Service",
        )) {
            assert.ok(
                (r.options?.dependsOn ?? []).some((d) => apis.has(d)),
                `${r.type} ${r.name} does not wait for any API`,
            );
        }
        const dev = await planOf("dev-example");
        assert.equal(byType(dev, "gcp:projects/service:Service").length, 0);
    });
});
