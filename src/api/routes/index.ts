import type { Express, Router } from 'express';
import type { AppContext } from '../../context';
import { mountHealth } from './health';

/** Routes under /api/v1. Each file mounts one resource. */
export const apiRoutes: Array<(router: Router, ctx: AppContext) => void> = [];

/** Routes at the root: health, well-known endpoints, static console and webmail. */
export const rootRoutes: Array<(app: Express, ctx: AppContext) => void> = [mountHealth];
