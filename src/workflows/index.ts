export { campaignWorkflow } from './campaign';
export { campaignNumbersWorkflow } from './numbers';
