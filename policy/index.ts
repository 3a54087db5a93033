/**
 * The fireworker-images policy pack: `pulumi preview --policy-pack policy` (CI runs it on every
 * same-repository pull request). Each policy is a plain function in rules.ts, which the main
 * test suite also applies to the offline plans of the example stacks.
 */
import { PolicyPack, type ResourceValidationPolicy } from "@pulumi/policy";
import { rules } from "./rules";

const policies: ResourceValidationPolicy[] = rules.map((rule) => ({
    name: rule.name,
    description: rule.description,
    enforcementLevel: rule.enforcementLevel,
    validateResource: (args, reportViolation) => {
        for (const message of rule.check(args.type, args.props, { protect: args.opts.protect })) {
            reportViolation(message);
        }
    },
}));

new PolicyPack("fireworker-images", { policies });
