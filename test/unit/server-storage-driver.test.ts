/** The storage driver suite against the filesystem driver (each test gets an empty root). */
import { FilesystemDriver } from "../../src/registry/server/storage/filesystem.ts";
import { storageDriverSuite } from "../helpers/storage-driver-suite.ts";
import { tempDir } from "../helpers/tmp.ts";

storageDriverSuite("filesystem", async () => new FilesystemDriver(tempDir("wharf-fsdriver-")));
