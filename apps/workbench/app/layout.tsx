import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: 'FEENet Workbench',
  description: 'Explore, compare and name facial-expression embeddings',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <a href="/">FEENet Workbench</a>
          <a href="/notebooks">Notebooks</a>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
