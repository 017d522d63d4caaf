import type { Command } from "commander";
import { openStore } from "../context.ts";
import { defineService } from "./service.ts";
import { defineDf } from "./system-df.ts";

export function registerSystem(program: Command): void {
  const system = program.command("system").description("Manage the local store");
  defineDf(system.command("df"));
  defineService(system.command("service"));
  system
    .command("check")
    .description("Verify every blob against its digest, every image record and the OCI layout")
    .action(async (_options, command: Command) => {
      const { checkStore } = await import("../../store/check.ts");
      const store = await openStore(command);
      try {
        const report = await checkStore(store);
        for (const problem of report.problems) process.stdout.write(`${problem}\n`);
        if (report.repairedIndex) {
          process.stderr.write(
            "note: index.json was out of step with the image records (an interrupted write) and was re-rendered\n",
          );
        }
        const summary = `checked ${report.blobsChecked} blobs and ${report.imagesChecked} images: `;
        if (report.problems.length > 0) {
          process.stdout.write(`${summary}${report.problems.length} problem(s)\n`);
          process.exitCode = 1;
        } else {
          process.stdout.write(`${summary}no problems\n`);
        }
      } finally {
        store.close();
      }
    });
}
