export { agentClaimWorkflow } from './agents';
export { campaignWorkflow } from './campaign';
export { campaignNumbersWorkflow } from './numbers';
