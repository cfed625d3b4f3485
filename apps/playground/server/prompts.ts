/** The scripted "agent prompts": each changes schema and data, then becomes a version. */
export const PROMPTS = [
  {
    id: 'v1',
    label: 'v1: contacts table',
    prompt: 'Build a contacts app: a table of people with a name and an email, and a few sample rows.',
    sql: `CREATE TABLE contacts (id serial PRIMARY KEY, name text NOT NULL, email text);
          INSERT INTO contacts (name, email) VALUES
            ('Ada Lovelace', 'ada@example.com'),
            ('Grace Hopper', 'grace@example.com'),
            ('Alan Turing', 'alan@example.com');`,
  },
  {
    id: 'v2',
    label: 'v2: role and company',
    prompt: 'Add a role and a company to every contact.',
    sql: `ALTER TABLE contacts ADD COLUMN role text, ADD COLUMN company text;
          UPDATE contacts SET role = 'Engineer', company = 'Analytical Engines' WHERE name = 'Ada Lovelace';
          UPDATE contacts SET role = 'Rear Admiral', company = 'US Navy' WHERE name = 'Grace Hopper';
          UPDATE contacts SET role = 'Researcher', company = 'Bletchley Park' WHERE name = 'Alan Turing';`,
  },
  {
    id: 'v3',
    label: 'v3: tags',
    prompt: 'Let me tag contacts, and tag the pioneers.',
    sql: `ALTER TABLE contacts ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
          UPDATE contacts SET tags = '{pioneer}';
          INSERT INTO contacts (name, email, role, company, tags)
            VALUES ('Katherine Johnson', 'katherine@example.com', 'Mathematician', 'NASA', '{pioneer,space}');`,
  },
] as const;
