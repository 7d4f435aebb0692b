import type { PrismaClient } from '@shop/db';

/**
 * Stores `generated` as the key pair unless one is stored already (ON CONFLICT DO NOTHING: two instances
 * starting together keep the same pair), and returns the stored one.
 */
export async function storeOrReadVapidKeys(prisma: PrismaClient, generated: { publicKey: string; privateKey: string }) {
  await prisma.pushVapidKeys.createMany({ data: [{ id: 1, ...generated }], skipDuplicates: true });
  const row = await prisma.pushVapidKeys.findUniqueOrThrow({ where: { id: 1 } });
  return { publicKey: row.publicKey, privateKey: row.privateKey };
}
