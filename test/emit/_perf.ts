import { desiredState, emitArtifacts } from "../../src/emit/index.js";
import { cpuWeights } from "../../src/emit/weights.js";
import { desiredCgroups } from "../../src/emit/cgroups.js";
import { desiredLinks, shapedClassids } from "../../src/emit/tc.js";
import { nftView } from "../../src/emit/nft.js";
import { renderCgroupScript, renderTcBatch, renderPlanJson } from "../../src/emit/index.js";
import { bigIr } from "./fixtures.js";
for (const n of [1000, 10000]) {
  const ir = bigIr(n);
  for (let rep = 0; rep < 2; rep++) {
    const T = (label: string, f: () => unknown) => {
      const t = process.cpuUsage();
      const r = f();
      const u = process.cpuUsage(t);
      console.log(n, rep, label, ((u.user + u.system) / 1000).toFixed(1));
      return r;
    };
    T("weights", () => cpuWeights(ir));
    T("cgroups", () => desiredCgroups(ir));
    const links = T("links", () => desiredLinks(ir)) as any;
    T("nftView", () => nftView(ir, shapedClassids(links)));
    const d = T("desired", () => desiredState(ir)) as any;
    T("cgroup.sh", () => renderCgroupScript(ir, d));
    T("tc", () => renderTcBatch(ir, d));
    T("plan", () => renderPlanJson(ir));
    T("all", () => emitArtifacts(ir));
  }
}
