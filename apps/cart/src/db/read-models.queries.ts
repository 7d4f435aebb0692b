import { customerReadModel, productReadModel } from '@shop/db';

/** The cart's customers, kept the way every service keeps them; the name and address are kept but not used. */
export const cartCustomers = customerReadModel({ schema: 'cart', keepsContact: true });

/** The cart's copy of the catalog: new lines are priced from it, and only active entries may be added. */
export const cartProducts = productReadModel({ schema: 'cart' });
