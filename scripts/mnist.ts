/** The packed MNIST digits, for vite.config.ts and the scripts (the CLI owns the packer). */
export { MNIST_COUNT, MNIST_SIZE, packMnist } from '../src/cli/mnist';
