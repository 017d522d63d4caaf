/** `wharf image ...`: the management command over the local images, as `docker image`. */
import type { Command } from "commander";
import { defineBuild } from "./build.ts";
import { defineHistory } from "./history.ts";
import { definePrune } from "./image-prune.ts";
import { defineList } from "./images.ts";
import { defineImageInspect } from "./inspect.ts";
import { defineLoad } from "./load.ts";
import { defineRmi } from "./rmi.ts";
import { defineSave } from "./save.ts";
import { defineTag } from "./tag.ts";

/** Registers `image` and its subcommands; returns it (program.ts adds pull and push under it). */
export function registerImage(program: Command): Command {
  const image = program.command("image").description("Manage images");
  defineBuild(image.command("build"));
  defineList(image.command("ls").alias("list"), "image ls");
  defineImageInspect(image.command("inspect"));
  defineHistory(image.command("history"));
  defineTag(image.command("tag"));
  defineRmi(image.command("rm").aliases(["rmi", "remove"]));
  definePrune(image.command("prune"));
  defineSave(image.command("save"));
  defineLoad(image.command("load"));
  return image;
}
