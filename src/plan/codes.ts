/**
 * The applier's diagnostic codes by name (plan, apply, destroy and the host
 * checks), so the code never spells a number. The catalog entries (title +
 * explanation) live in src/diag/codes/host.ts; test/apply/codes.test.ts keeps
 * the two in step.
 */
export const Code = {
  // VSC5001-5009 preflight (src/apply/preflight.ts)
  noCgroup2: "VSC5001",
  controllerUnavailable: "VSC5002",
  controllerNotEnabled: "VSC5003",
  toolMissing: "VSC5004",
  linkMissing: "VSC5005",
  nftNoSocketCgroup: "VSC5006",
  netnsMissing: "VSC5007",
  cgroupParentMissing: "VSC5008",
  // VSC5010-5035 planning and executing
  cgroupHasProcs: "VSC5010",
  kernelRefused: "VSC5020",
  readBackDiffers: "VSC5021",
  nftRefused: "VSC5023",
  tcRefused: "VSC5024",
  rollbackIncomplete: "VSC5025",
  locked: "VSC5030",
  notAPlan: "VSC5031",
  stalePlan: "VSC5032",
  needsConfirmation: "VSC5034",
  cannotRead: "VSC5035",
  // VSC5050-5069 faults and hostile saved plans
  cgroupTreeIo: "VSC5050",
  stateDirIo: "VSC5051",
  planPathNotOwned: "VSC5052",
  planRulesetNotOwned: "VSC5053",
  planTcNotOwned: "VSC5054",
  rollbackDiffers: "VSC5055",
  symlinkRefused: "VSC5056",
  planNotConsistent: "VSC5057",
  // VSC5070-5089 the host block against the machine (src/apply/preflight.ts)
  cpusMissing: "VSC5070",
  memoryAboveMachine: "VSC5071",
  diskMissing: "VSC5072",
  diskIsPartition: "VSC5073",
  machineLarger: "VSC5074",
  machineNotCompared: "VSC5075",
  // VSC5100-5119 traffic classes and ingress (language-v2.md §3)
  qdiscMissing: "VSC5100",
  /** The kernel cannot redirect arriving packets (ifb, sch_ingress, cls_u32, act_mirred). */
  ingressUnsupported: "VSC5101",
  ingressNotOwned: "VSC5102",
  ifbNotOwned: "VSC5103",
  // VSC5400-5419 apply --confirm, confirm, revert (src/apply/confirm.ts)
  badDuration: "VSC5400",
  pendingBlocks: "VSC5401",
  pendingTampered: "VSC5402",
  undoUnknown: "VSC5403",
  armFailed: "VSC5404",
  revertStale: "VSC5405",
  revertDiffers: "VSC5406",
  tooLate: "VSC5407",
  noSystemLog: "VSC5409",
} as const;

export type AppliersCode = (typeof Code)[keyof typeof Code];
