/**
 * The checker's diagnostic codes by name, so rules never spell a number.
 * The catalog entries (title + explanation) live in src/diag/codes/{names,units,policy}.ts;
 * test/check/codes.test.ts keeps the two in step.
 */
export const Code = {
  // VSC2010-2999 names and references
  duplicateName: "VSC2010",
  duplicateDefine: "VSC2011",
  noHost: "VSC2012",
  extraHost: "VSC2013",
  unknownTemplate: "VSC2014",
  unknownClass: "VSC2015",
  wrongKindOfName: "VSC2016",
  classCycle: "VSC2017",
  templateCycle: "VSC2018",
  unknownDefine: "VSC2019",
  defineWrongType: "VSC2020",
  defineCycle: "VSC2021",
  unknownField: "VSC2022",
  unknownBlock: "VSC2023",
  duplicateField: "VSC2024",
  anonLimit: "VSC2025",
  unknownDevice: "VSC2026",
  unknownLink: "VSC2027",
  unknownCapability: "VSC2028",
  unknownNamespace: "VSC2029",
  unknownWord: "VSC2030",
  contextOnly: "VSC2031",
  missingHostField: "VSC2032",
  missingId: "VSC2033",
  // VSC3xxx types and units
  unknownUnit: "VSC3001",
  ambiguousUnit: "VSC3002",
  wrongKind: "VSC3003",
  missingUnit: "VSC3004",
  notWhole: "VSC3005",
  outOfRange: "VSC3006",
  wrongType: "VSC3007",
  burstNeedsLimit: "VSC3008",
  burstAboveQuota: "VSC3009",
  badAddress: "VSC3010",
  hostBits: "VSC3011",
  portsNeedProto: "VSC3012",
  badString: "VSC3013",
  // VSC4xxx policy
  ordering: "VSC4001",
  childAboveClass: "VSC4002",
  admission: "VSC4003",
  allCores: "VSC4004",
  overbookError: "VSC4005",
  overbookWarning: "VSC4006",
  duplicateId: "VSC4007",
  addressConflict: "VSC4008",
  portConflict: "VSC4009",
  coreConflict: "VSC4010",
  coreNotOnHost: "VSC4011",
  coresWithReserve: "VSC4012",
  keepTooLarge: "VSC4013",
  hostnameNeedsUts: "VSC4014",
  weightsCannotGuarantee: "VSC4015",
} as const;

export type CodeName = keyof typeof Code;
