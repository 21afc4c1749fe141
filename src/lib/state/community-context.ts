import { getContext } from 'svelte';
import type { CommunityState } from './community.svelte';

export const getCommunity = () => getContext<CommunityState>('community');
