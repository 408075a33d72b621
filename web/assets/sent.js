// The files an uploader sent through one link from this tab, so that "Your files" survives a
// reload: each file's name, size and receipt. A receipt reaches only its own file, which this
// uploader sent; it is kept in sessionStorage, on this device, for this tab's life (a shared
// computer's next user, in a new tab or after the browser closes, sees none), never sent
// anywhere but to its own receipt route. The link's token is not stored: the scope is a digest
// of it. Storage that refuses (private mode, full) means a list that a reload empties.

const MOST = 100;

export function sentStore(scope) {
  const key = `dropgate.sent.${scope}`;
  const storage = () => {
    try {
      return window.sessionStorage;
    } catch {
      return null;
    }
  };
  const all = () => {
    try {
      const list = JSON.parse(storage()?.getItem(key) ?? '[]');
      return Array.isArray(list) ? list.filter((e) => typeof e?.receipt === 'string') : [];
    } catch {
      return [];
    }
  };
  return {
    all,
    remember({ receipt, name, size }) {
      const list = all().filter((e) => e.receipt !== receipt);
      list.push({ receipt, name, size });
      try {
        storage()?.setItem(key, JSON.stringify(list.slice(-MOST)));
      } catch {
        // Not kept: a reload will not show it.
      }
    },
  };
}
