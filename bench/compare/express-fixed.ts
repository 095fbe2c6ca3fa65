// Express 5 answering a fixed JSON body: the framework's own cost per request, with no auth.
import express from 'express';

const app = express();
const body = {
  user: { id: '000000000000000000000000', name: 'Fixed', email: 'fixed@example.com' },
};
app.get('/api/profile', (_req, res) => {
  res.json(body);
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
});
