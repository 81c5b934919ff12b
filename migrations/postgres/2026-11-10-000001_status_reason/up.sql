-- Why a contract is in its status: the reason given with the step that put it there (a return, a
-- rejection, a decline, a cancellation), shown on the contract itself.
ALTER TABLE contracts ADD COLUMN status_reason TEXT;
