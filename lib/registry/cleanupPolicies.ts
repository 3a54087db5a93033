/** Artifact Registry cleanup policies, from settings to the provider's input shape. Pure. */
/** One Artifact Registry cleanup policy, as the stack file writes it. */
export interface CleanupPolicy {
    id: string;
    action: "DELETE" | "KEEP";
    tagState?: "TAGGED" | "UNTAGGED" | "ANY";
    tagPrefixes?: string[];
    packageNamePrefixes?: string[];
    olderThanDays?: number;
    keepCount?: number;
}

export interface CleanupPolicyInput {
    id: string;
    action: "DELETE" | "KEEP";
    condition?: {
        tagState?: string;
        tagPrefixes?: string[];
        packageNamePrefixes?: string[];
        olderThan?: string;
    };
    mostRecentVersions?: { keepCount: number; packageNamePrefixes?: string[] };
}

const DAY = 86400;

export function cleanupPolicyInputs(policies: readonly CleanupPolicy[]): CleanupPolicyInput[] {
    return policies.map((p) => {
        if (p.keepCount !== undefined) {
            return {
                id: p.id,
                action: "KEEP",
                mostRecentVersions: {
                    keepCount: p.keepCount,
                    ...(p.packageNamePrefixes ? { packageNamePrefixes: p.packageNamePrefixes } : {}),
                },
            };
        }
        const condition: CleanupPolicyInput["condition"] = {};
        if (p.tagState) condition.tagState = p.tagState;
        if (p.tagPrefixes) condition.tagPrefixes = p.tagPrefixes;
        if (p.packageNamePrefixes) condition.packageNamePrefixes = p.packageNamePrefixes;
        if (p.olderThanDays !== undefined) condition.olderThan = `${p.olderThanDays * DAY}s`;
        return { id: p.id, action: p.action, condition };
    });
}
