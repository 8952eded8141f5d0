export { agentClaimWorkflow } from './agents';
export { campaignWorkflow } from './campaign';
