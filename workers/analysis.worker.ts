// The analysis worker: one typed API (AnalysisApi) exposed with comlink. It reads the community
// from this device's database, runs the analyses off the page's main thread and keeps the last
// run's models for follow-up questions (one member's recommendations, related threads, CSV).
import * as Comlink from 'comlink';
import { analyse, tableCsv, type AnalysisState } from './analysis';
import type { AnalysisApi } from './analysis-types';
import { loadSnapshot } from './community/load-snapshot';
import { suggestMembers } from './graph/analyse';
import { loadMemberStats, loadPointsBoards, memberStatsVersion } from './members/member-stats';
import { packMemberStats } from '../src/lib/domain/membership';

let state: AnalysisState | null = null;

const api: AnalysisApi = {
  async run(cid, me, parts, onProgress) {
    const total = parts.length + (parts.includes('graph') ? 2 : 1);
    await onProgress?.({ step: 'load', done: 0, total });
    const started = performance.now();
    const loadSteps: Record<string, number> = {};
    const { snapshot, reused } = await loadSnapshot(cid, me, loadSteps);
    const loadMs = performance.now() - started;
    // Progress messages are posted, not awaited: the run does not wait for the page.
    state = analyse(snapshot, parts, { loadMs, onProgress: (p) => void onProgress?.(p) });
    state.result.timings.reusedRows = reused;
    state.result.timings.loadSteps = loadSteps;
    return state.result;
  },
  async recommend(member, k) {
    return state?.recommender?.forMember(member, k) ?? [];
  },
  async related(thread, k) {
    return state?.recommender?.related(thread, k) ?? [];
  },
  async suggestions(member, k) {
    return state?.graph ? suggestMembers(state.graph, member, k) : [];
  },
  async csv(table) {
    return state ? tableCsv(state, table) : '';
  },
  async memberStats(cid, now, known) {
    const version = await memberStatsVersion(cid, now);
    if (version === known) return { version, packed: null, unchanged: true };
    const stats = await loadMemberStats(cid, now, version);
    return { version, packed: stats && packMemberStats(stats) };
  },
  async pointsBoards(cid, now) {
    const boards = await loadPointsBoards(cid, now);
    return boards && { week: [...boards.week], month: [...boards.month], all: [...boards.all] };
  }
};

Comlink.expose(api);
