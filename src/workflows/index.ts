export { campaignWorkflow } from './campaign';
