import { stopLeftovers } from './stop-at-file-end';

afterAll(stopLeftovers, 180_000);
