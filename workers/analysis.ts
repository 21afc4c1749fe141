// The analysis pipeline over one community snapshot: dashboard metrics, member segments and
// churn risk, the social graph and recommendations, each timed. Pure (no DOM, no storage), so the
// worker, Node tests and benchmarks run exactly the same code.
import forceAtlas2 from 'graphology-layout-forceatlas2';
import type { AnalysisPart, AnalysisResult, CsvTable, GraphView, Progress, Timings } from './analysis-types';
import { activitiesOf, asOfTime, type CommunitySnapshot } from './community/snapshot';
import { bridges, centrality, communities, suggestMembers, type Communities } from './graph/analyse';
import { inviteTree, type InviteTree } from './graph/invites';
import { buildSocialGraph, type SocialGraph, type Tie } from './graph/social-graph';
import { churnProbability, churnRisk, churnSamples, fitChurnModel, type ChurnRisk } from './members/churn';
import { memberFeatures, segmentMembers, type Segmentation } from './members/segments';
import {
  activeMembers,
  contentPerformance,
  contributors,
  newMembersPerWeek,
  retentionCohorts,
  type Contributor,
  type ThreadPerformance
} from './metrics/dashboard';
import { fitRecommender, type RecommenderModel } from './recommend/for-member';
import { boostFeatured } from './recommend/featured-boost';
import { seededRandom } from './recommend/random';
import { toCsv } from './csv';

/** Nodes drawn in the graph view: the most central members, so a phone can draw it. */
const VIEW_NODES = 300;

/** Who talks to whom: replies, reactions (weak), answers and co-editing. Never invitations. */
export function socialTies(s: CommunitySnapshot): Tie[] {
  const ties: Tie[] = [];
  for (const r of s.replies) if (r.parentAuthor) ties.push({ from: r.author, to: r.parentAuthor, kind: 'reply', ts: r.createdAt });
  for (const r of s.reactions) ties.push({ from: r.author, to: r.targetAuthor, kind: 'reaction', ts: r.ts });
  // Invitations are not conversation: they belong to the referral tree (graph/invites), not here.
  // An importing creator "invites" every member, and with those ties held 82–97 % of betweenness.
  for (const a of s.answers ?? []) if (a.author !== a.to) ties.push({ from: a.author, to: a.to, kind: 'answer', ts: a.ts });
  // Co-editing: each pair of members who edited the same note, once per note (at the later first edit).
  const editors = new Map<string, Map<string, number>>();
  for (const e of s.coedits ?? []) {
    let byAuthor = editors.get(e.note);
    if (!byAuthor) editors.set(e.note, (byAuthor = new Map()));
    byAuthor.set(e.author, Math.min(byAuthor.get(e.author) ?? Infinity, e.ts));
  }
  for (const byAuthor of editors.values()) {
    const list = [...byAuthor].sort((x, y) => (x[0] < y[0] ? -1 : 1));
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++) ties.push({ from: list[i][0], to: list[j][0], kind: 'coedit', ts: Math.max(list[i][1], list[j][1]) });
  }
  return ties;
}

function graphView(graph: SocialGraph, pagerank: Map<string, number>, groups: Communities, seed: string): GraphView {
  const keep = new Set(
    [...pagerank]
      .sort((a, b) => b[1] - a[1])
      .slice(0, VIEW_NODES)
      .map(([k]) => k)
  );
  // Built from the kept nodes' own edges: copying the whole graph to drop most of it costs seconds at 10,000 members.
  const sub: SocialGraph = graph.nullCopy();
  const random = seededRandom(seed);
  for (const k of keep) sub.addNode(k, { x: random() * 100, y: random() * 100 } as never);
  for (const k of keep)
    graph.forEachEdge(k, (_e, attr, a, b) => {
      if (a === k && keep.has(b)) sub.addEdge(a, b, { ...attr });
    });
  const positions =
    sub.order > 1
      ? forceAtlas2(sub, { iterations: 100, getEdgeWeight: 'weight', settings: { ...forceAtlas2.inferSettings(sub), barnesHutOptimize: sub.order > 200 } })
      : {};
  const max = Math.max(...[...keep].map((k) => pagerank.get(k) ?? 0), 1e-9);
  return {
    nodes: sub.mapNodes((k) => ({
      key: k,
      x: positions[k]?.x ?? 0,
      y: positions[k]?.y ?? 0,
      size: 3 + 12 * Math.sqrt((pagerank.get(k) ?? 0) / max),
      community: groups.of.get(k) ?? 0,
      pagerank: pagerank.get(k) ?? 0
    })),
    edges: sub.mapEdges((_e, attr, a, b) => [a, b, attr.weight] as [string, string, number])
  };
}

export interface AnalysisState {
  snapshot: CommunitySnapshot;
  result: AnalysisResult;
  recommender?: RecommenderModel;
  graph?: SocialGraph;
  content?: ThreadPerformance[];
  contributors?: Contributor[];
  segmentation?: Segmentation;
  churn?: ChurnRisk[];
  pagerank?: Map<string, number>;
  tree?: InviteTree;
}

const heapMb = () => {
  const memory = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
  return memory ? memory.usedJSHeapSize / 1024 / 1024 : null;
};

export function analyse(
  snapshot: CommunitySnapshot,
  parts: AnalysisPart[],
  options: { loadMs?: number; now?: number; onProgress?: (p: Progress) => void } = {}
): AnalysisState {
  const started = performance.now();
  const want = new Set(parts);
  const steps = (['dashboard', 'members', 'graph', 'louvain', 'recs'] as const).filter((s) => want.has(s === 'louvain' ? 'graph' : s));
  const total = steps.length + 1;
  let done = 1;
  const progress = options.onProgress ?? (() => {});
  let peak = heapMb();
  const sample = () => {
    const h = heapMb();
    if (h !== null) peak = Math.max(peak ?? 0, h);
  };
  const timings: Timings = {
    loadMs: options.loadMs ?? 0,
    dashboardMs: 0,
    membersMs: 0,
    graphMetricsMs: 0,
    louvainMs: 0,
    recsTrainMs: 0,
    recsRankOneMs: 0,
    totalMs: 0,
    peakHeapMb: null
  };
  const s = snapshot;
  const activities = activitiesOf(s);
  const asOf = asOfTime(activities, options.now ?? Date.now());
  const state: AnalysisState = {
    snapshot: s,
    result: {
      cid: s.cid,
      counts: { members: s.members.length, threads: s.threads.length, replies: s.replies.length, reactions: s.reactions.length, views: s.views.length },
      timings
    }
  };
  const lastActive = new Map<string, number>();
  for (const a of activities) lastActive.set(a.member, a.ts);

  if (want.has('dashboard')) {
    progress({ step: 'dashboard', done, total });
    const t = performance.now();
    const invites = new Map(s.invites.map((i) => [i.id, i]));
    const sourceOf = (m: CommunitySnapshot['members'][number]) => {
      const inv = m.invite ? invites.get(m.invite) : undefined;
      return inv?.label || m.invitedBy || '';
    };
    const content = contentPerformance(s);
    const answered = content
      .filter((c) => c.firstAnswerMs !== null)
      .map((c) => c.firstAnswerMs!)
      .sort((a, b) => a - b);
    state.content = content;
    state.contributors = contributors(s);
    state.result.dashboard = {
      asOf,
      active: activeMembers(activities, asOf, 90),
      newMembers: newMembersPerWeek(s, sourceOf),
      cohorts: retentionCohorts(
        s.members.filter((m) => m.role !== 'creator').map((m) => ({ member: m.key, joinedAt: m.joinedAt })),
        activities,
        asOf
      ),
      content: [...content].sort((a, b) => b.replies + b.reactions - (a.replies + a.reactions) || b.views - a.views).slice(0, 50),
      unanswered: content.length - answered.length,
      medianFirstAnswerMs: answered.length ? answered[Math.floor(answered.length / 2)] : null,
      contributors: state.contributors.slice(0, 20)
    };
    timings.dashboardMs = performance.now() - t;
    done++;
    sample();
  }

  if (want.has('members')) {
    progress({ step: 'members', done, total });
    const t = performance.now();
    const features = memberFeatures(
      s.members.map((m) => m.key),
      activities,
      asOf
    );
    state.segmentation = segmentMembers(features);
    const memberKeys = s.members.map((m) => m.key);
    const lastAct = new Map<string, number>();
    for (const a of activities) if ((lastAct.get(a.member) ?? 0) < a.ts) lastAct.set(a.member, a.ts);
    const model = fitChurnModel(
      churnSamples(
        memberKeys,
        (at) =>
          memberFeatures(
            memberKeys,
            activities.filter((a) => a.ts <= at),
            at
          ),
        lastAct,
        asOf
      )
    );
    const byMember = new Map(features.map((f) => [f.member, f]));
    state.churn = features
      .map(churnRisk)
      .filter((c): c is ChurnRisk => c !== null)
      .map((c) => (model ? { ...c, probability: churnProbability(model, byMember.get(c.member)!) } : c))
      .sort((a, b) => (b.probability ?? 0) - (a.probability ?? 0) || b.score - a.score || (a.member < b.member ? -1 : 1));
    state.result.members = { segments: state.segmentation.segments, churn: state.churn.slice(0, 50) };
    timings.membersMs = performance.now() - t;
    done++;
    sample();
  }

  if (want.has('graph')) {
    progress({ step: 'graph', done, total });
    let t = performance.now();
    const graph = buildSocialGraph(
      s.members.map((m) => m.key),
      socialTies(s)
    );
    const c = centrality(graph, seededRandom(`${s.cid}/betweenness`));
    const joinsOf = new Map<string, string[]>();
    for (const m of s.members) {
      if (!m.invite) continue;
      const list = joinsOf.get(m.invite);
      if (list) list.push(m.key);
      else joinsOf.set(m.invite, [m.key]);
    }
    const tree = inviteTree(
      s.members,
      s.invites.map((i) => ({ ...i, joins: joinsOf.get(i.id) ?? [] })),
      lastActive,
      asOf
    );
    timings.graphMetricsMs = performance.now() - t;
    done++;
    sample();
    progress({ step: 'louvain', done, total });
    t = performance.now();
    const groups = communities(graph, seededRandom(`${s.cid}/louvain`));
    timings.louvainMs = performance.now() - t;
    t = performance.now();
    const members = new Map<number, string[]>();
    for (const [k, g] of groups.of) {
      let list = members.get(g);
      if (!list) members.set(g, (list = []));
      list.push(k);
    }
    const top = (m: Map<string, number>, n: number) =>
      [...m]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, n)
        .map(([member, value]) => ({ member, value }));
    state.graph = graph;
    state.pagerank = c.pagerank;
    state.tree = tree;
    state.result.graph = {
      nodes: graph.order,
      edges: graph.size,
      modularity: groups.modularity,
      communities: [...members]
        .sort((a, b) => a[0] - b[0])
        .slice(0, 12)
        .map(([id, list]) => ({ id, size: list.length, top: list.sort((a, b) => (c.pagerank.get(b) ?? 0) - (c.pagerank.get(a) ?? 0)).slice(0, 3) })),
      pagerank: top(c.pagerank, 20),
      betweenness: top(c.betweenness, 20),
      bridges: bridges(graph, groups, c.betweenness, 10),
      suggestions: suggestMembers(graph, s.me, 5),
      funnel: tree.funnel,
      referrals: tree.referrals.slice(0, 20),
      view: graphView(graph, c.pagerank, groups, s.cid)
    };
    // Bridges, suggestions and the view's layout belong to the metrics, not to Louvain.
    timings.graphMetricsMs += performance.now() - t;
    done++;
    sample();
  }

  if (want.has('recs')) {
    progress({ step: 'recs', done, total });
    const t = performance.now();
    state.recommender = fitRecommender(s);
    timings.recsTrainMs = performance.now() - t;
    // Featured threads among twice as many picks lift into the top 20 (recommend/featured-boost).
    const forMe = boostFeatured(state.recommender.forMember(s.me, 40), new Set(s.threads.filter((x) => x.featured).map((x) => x.id)), 20);
    // One member's list after training: the median over a few members, once the code is warm.
    const probe = [s.me, ...(state.contributors ?? s.members).slice(0, 4).map((m) => ('member' in m ? m.member : m.key))];
    const times = probe.map((member) => {
      const t0 = performance.now();
      state.recommender!.forMember(member, 20);
      return performance.now() - t0;
    });
    timings.recsRankOneMs = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
    // "Related": to the thread this member last opened here, or else last took part in.
    let last: { thread: string; at: number } | null = null;
    for (const v of s.views) if (!last || v.at > last.at) last = { thread: v.thread, at: v.at };
    if (!last)
      for (const a of [
        ...s.threads.map((x) => ({ thread: x.id, author: x.author, at: x.createdAt })),
        ...s.replies.map((x) => ({ thread: x.thread, author: x.author, at: x.createdAt }))
      ])
        if (a.author === s.me && (!last || a.at > last.at)) last = a;
    const lastThread = last ? s.threads.find((x) => x.id === last!.thread) : undefined;
    state.result.recs = {
      cf: state.recommender.cf,
      ranker: state.recommender.ranker,
      items: state.recommender.items,
      interactions: state.recommender.interactions,
      diversity: s.diversity ?? 'off',
      forMe,
      related: lastThread ? { thread: lastThread.id, title: lastThread.title, items: state.recommender.related(lastThread.id, 5) } : null
    };
    done++;
    sample();
  }
  timings.totalMs = timings.loadMs + performance.now() - started;
  timings.peakHeapMb = peak;
  return state;
}

/** A whole table of an analysis as CSV, with member names beside their keys. */
export function tableCsv(state: AnalysisState, table: CsvTable): string {
  const names = new Map(state.snapshot.members.map((m) => [m.key, m.name]));
  const name = (k: string) => names.get(k) ?? '';
  const iso = (ts: number) => new Date(ts).toISOString();
  const r = state.result;
  switch (table) {
    case 'active':
      return toCsv(
        ['day', 'dau', 'wau', 'mau'],
        (r.dashboard?.active.series ?? []).map((p) => [iso(p.day * 86_400_000).slice(0, 10), p.dau, p.wau, p.mau])
      );
    case 'new_members':
      return toCsv(
        ['week_start', 'joins', 'by_source'],
        (r.dashboard?.newMembers ?? []).map((w) => [iso(w.start).slice(0, 10), w.total, JSON.stringify(w.bySource)])
      );
    case 'cohorts': {
      const weeks = r.dashboard?.cohorts[0]?.retained.length ?? 0;
      return toCsv(
        ['cohort_week', 'size', ...Array.from({ length: weeks }, (_, k) => `week_${k}`)],
        (r.dashboard?.cohorts ?? []).map((c) => [iso(c.start).slice(0, 10), c.size, ...c.retained.map((x) => (x === null ? '' : x.toFixed(4)))])
      );
    }
    case 'content':
      return toCsv(
        ['thread', 'title', 'author', 'created', 'views_here', 'replies', 'reactions', 'participants', 'first_answer_hours'],
        (state.content ?? []).map((c) => [
          c.id,
          c.title,
          name(c.author),
          iso(c.createdAt),
          c.views,
          c.replies,
          c.reactions,
          c.participants,
          c.firstAnswerMs === null ? '' : (c.firstAnswerMs / 3_600_000).toFixed(2)
        ])
      );
    case 'contributors':
      return toCsv(
        ['member', 'name', 'threads', 'replies', 'reactions_given', 'reactions_received', 'replies_received', 'score'],
        (state.contributors ?? []).map((c) => [
          c.member,
          name(c.member),
          c.threads,
          c.replies,
          c.reactionsGiven,
          c.reactionsReceived,
          c.repliesReceived,
          c.score
        ])
      );
    case 'segments':
      return toCsv(
        ['member', 'name', 'segment'],
        [...(state.segmentation?.of ?? [])].map(([k, seg]) => [k, name(k), seg])
      );
    case 'churn':
      return toCsv(
        ['member', 'name', 'score', 'factors'],
        (state.churn ?? []).map((c) => [c.member, name(c.member), c.score, c.factors.map((f) => `${f.key}:${f.points}`).join(' ')])
      );
    case 'pagerank':
      return toCsv(
        ['member', 'name', 'pagerank'],
        [...(state.pagerank ?? [])].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, name(k), v.toPrecision(6)])
      );
    case 'bridges':
      return toCsv(
        ['member', 'name', 'betweenness', 'participation', 'groups'],
        (r.graph?.bridges ?? []).map((b) => [b.member, name(b.member), b.betweenness.toFixed(2), b.participation.toFixed(3), b.groups.join(' ')])
      );
    case 'referrals':
      return toCsv(
        ['member', 'name', 'invites_sent', 'joins', 'eligible_30d', 'active_30d', 'descendants'],
        (state.tree?.referrals ?? []).map((x) => [x.member, name(x.member), x.invitesSent, x.joins, x.eligible30, x.active30, x.descendants])
      );
    case 'recommendations':
      return toCsv(
        ['thread', 'title', 'score', 'why'],
        (r.recs?.forMe ?? []).map((x) => [x.thread, x.title, x.score.toFixed(4), x.explanation.kind])
      );
  }
}
