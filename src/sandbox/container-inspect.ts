/** What the Docker engine says about an image or a container that let a pool down, for its messages and outcomes. */
import type Docker from "dockerode";
import { SetupError } from "../core/errors.js";
import { dockerErrorText } from "./docker-error.js";

/** The image's id (its content digest), or a SetupError that says what to do. */
export async function inspectImage(docker: Docker, image: string): Promise<string> {
  try {
    const inspected = await docker.getImage(image).inspect();
    return inspected.Id;
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 404) throw new SetupError(`sandbox image ${image} not found; build it with \`verdict sandbox build\``);
    throw new SetupError(`cannot reach the Docker engine to inspect ${image}: ${dockerErrorText(err)}`);
  }
}

/** What Docker knows about a container that let us down, as a message suffix. */
export async function postMortem(container: Docker.Container): Promise<string> {
  try {
    const { State } = await container.inspect();
    if (State.Running) return "";
    const oom = State.OOMKilled ? ", killed by the out-of-memory killer" : "";
    return ` (container exited with code ${State.ExitCode}${oom}${State.Error ? `: ${State.Error}` : ""})`;
  } catch {
    return "";
  }
}

/** Whether a container is gone and Docker says the out-of-memory killer took it. */
export async function oomKilled(container: Docker.Container): Promise<boolean> {
  try {
    const { State } = await container.inspect();
    return !State.Running && State.OOMKilled;
  } catch {
    return false;
  }
}
