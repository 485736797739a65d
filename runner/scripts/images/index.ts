/** The test images `yarn engine up` provides, by their key in env.json's `images`. */
import { agentImage } from './agent.js';
import { busybox } from './busybox.js';
import { debian } from './debian.js';
import { httpService } from './http-service.js';
import { kaniko } from './kaniko.js';
import { noShell } from './no-shell.js';
import { nodeRuntime } from './node-runtime.js';
import type { ImageRecipe } from './recipe.js';

export const IMAGE_NAMES = ['busybox', 'debian', 'httpService', 'kaniko', 'noShell', 'agent', 'nodeRuntime'] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

export const RECIPES: Record<ImageName, ImageRecipe> = {
  busybox,
  debian,
  httpService,
  kaniko,
  noShell,
  agent: agentImage,
  nodeRuntime,
};
