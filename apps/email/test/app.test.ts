import { describeServiceBasics } from '@shop/testing';
import { createApp } from '../src/app';

describeServiceBasics('email', createApp);
