import { emitArtifacts } from "../../src/emit/index.js";
import { bigIr } from "./fixtures.js";
const ir = bigIr(10000);
for (let i = 0; i < 3; i++) emitArtifacts(ir);
