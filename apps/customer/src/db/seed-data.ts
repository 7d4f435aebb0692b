/** The five customers DESIGN.md promises on every local start. */
export const SEED_CUSTOMERS = [
  { customerId: '550e8400-e29b-41d4-a716-446655440000', name: 'John Smith', email: 'john.smith@example.com' },
  { customerId: '550e8400-e29b-41d4-a716-446655440001', name: 'Jane Doe', email: 'jane.doe@example.com' },
  { customerId: '550e8400-e29b-41d4-a716-446655440002', name: 'Robert Johnson', email: 'robert.johnson@example.com' },
  { customerId: '550e8400-e29b-41d4-a716-446655440003', name: 'Emily Davis', email: 'emily.davis@example.com' },
  { customerId: '550e8400-e29b-41d4-a716-446655440004', name: 'Michael Wilson', email: 'michael.wilson@example.com' },
] as const;
