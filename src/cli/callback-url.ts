import { InvalidArgumentError, type Command } from 'commander';
import { callbackUrl, DEFAULT_CALLBACK_BASE } from '../client/sign';
import { companyIdArgument, withStore } from './context';

function articleTypeId(value: string): number {
  const number = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(number) || number < -(2 ** 31) || number >= 2 ** 31) {
    throw new InvalidArgumentError('must be a 32-bit integer');
  }
  return number;
}

export function callbackUrlCommand(program: Command): void {
  program
    .command('callback-url')
    .description("print the signed callback URL for a checkout (Qvickly's callbackurl), signed with the company's Qvickly secret")
    .argument('<companyId>', 'BokaMera company id (UUID)', companyIdArgument)
    .argument('<bookingId>', 'the booking (or article) the payment is for')
    .argument('<articleTypeId>', 'the article type', articleTypeId)
    .option('--order-id <orderid>', "the checkout's orderid: the callback's data.orderid must then equal it")
    .option('--base <url>', 'where the service is reachable', DEFAULT_CALLBACK_BASE)
    .action(async (companyId: string, bookingId: string, articleType: number, options: { orderId?: string; base: string }) => {
      const company = await withStore(async (store) => (await store.viewCallback(companyId, '')).company);
      if (!company) throw new InvalidArgumentError(`company ${companyId} has no Qvickly secret: set it first with company set`);
      console.log(callbackUrl({ secret: company.secret, companyId, bookingId, articleTypeId: articleType, orderId: options.orderId, base: options.base }));
    });
}
