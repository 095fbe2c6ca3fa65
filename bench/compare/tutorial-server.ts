// The approach the popular tutorials take, written here only to compare against: jwt.verify
// with the secret as a string, User.findById on every request, bcryptjs's async API on the
// main thread. Not keycard code; not for use.
import bcrypt from 'bcryptjs';
import express from 'express';
import jwt from 'jsonwebtoken';
import mongoose from 'mongoose';

const secret = process.env.JWT_SECRET ?? 'tutorial-secret';
const cost = Number(process.env.BCRYPT_COST ?? 12);

const User = mongoose.model(
  'User',
  new mongoose.Schema(
    {
      name: String,
      email: { type: String, unique: true },
      password: { type: String, select: false },
      role: { type: String, default: 'user' },
    },
    { timestamps: true },
  ),
);

const app = express();
app.use(express.json());

app.post('/api/auth/register', async (req, res) => {
  const { name, email, password } = req.body as { name: string; email: string; password: string };
  const user = await User.create({ name, email, password: await bcrypt.hash(password, cost) });
  res.status(201).json({ token: jwt.sign({ id: user.id as string }, secret, { expiresIn: '1h' }) });
});

app.post('/api/auth/login', async (req, res) => {
  const { email, password } = req.body as { email: string; password: string };
  const user = await User.findOne({ email }).select('+password');
  if (!user || !(await bcrypt.compare(password, user.password as string))) {
    res.status(401).json({ message: 'Invalid credentials' });
    return;
  }
  res.json({ token: jwt.sign({ id: user.id as string }, secret, { expiresIn: '1h' }) });
});

app.get('/api/profile', async (req, res) => {
  const token = req.headers.authorization?.split(' ')[1];
  try {
    const decoded = jwt.verify(token ?? '', secret) as { id: string };
    const user = await User.findById(decoded.id);
    if (!user) {
      res.status(401).json({ message: 'User not found' });
      return;
    }
    res.json({ user });
  } catch {
    res.status(401).json({ message: 'Invalid token' });
  }
});

async function main(): Promise<void> {
  await mongoose.connect(process.env.MONGO_URI ?? 'mongodb://127.0.0.1:27017/tutorial');
  const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    const address = server.address();
    console.log(
      JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }),
    );
  });
}

void main();
