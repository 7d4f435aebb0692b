import { describeServiceBasics } from '@shop/service/test';
import { createApp } from '../src/app';

describeServiceBasics('inventory', createApp);
