<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
    <context>
        <name>CounterPage</name>
        <message>
            <source>Sign out</source>
            <translation>Sign out</translation>
        </message>
        <message>
            <source>OVERTIME</source>
            <translation>OVERTIME</translation>
        </message>
        <message>
            <source>Transaction type (F3)</source>
            <translation>Transaction type (F3)</translation>
        </message>
        <message>
            <source>%1 min</source>
            <translation>%1 min</translation>
        </message>
        <message>
            <source>untimed</source>
            <translation>untimed</translation>
        </message>
        <message>
            <source>Start  (F1)</source>
            <translation>Start  (F1)</translation>
        </message>
        <message>
            <source>Done  (F2)</source>
            <translation>Done  (F2)</translation>
        </message>
        <message>
            <source>Next type  (F3)</source>
            <translation>Next type  (F3)</translation>
        </message>
        <message>
            <source>Void  (F4)</source>
            <translation>Void  (F4)</translation>
        </message>
        <message>
            <source>Overtime: why did it take longer? (one press)</source>
            <translation>Overtime: why did it take longer? (one press)</translation>
        </message>
        <message>
            <source>Counter %1 · %2</source>
            <translation>Counter %1 · %2</translation>
        </message>
        <message>
            <source>Serving…</source>
            <translation>Serving…</translation>
        </message>
        <message>
            <source>Ready for the next customer: press Start (F1)</source>
            <translation>Ready for the next customer: press Start (F1)</translation>
        </message>
        <message>
            <source>The customer has rated ✓</source>
            <translation>The customer has rated ✓</translation>
        </message>
        <message>
            <source>Waiting for the customer's rating…</source>
            <translation>Waiting for the customer's rating…</translation>
        </message>
        <message>
            <source>time left</source>
            <translation>time left</translation>
        </message>
        <message>
            <source>elapsed (untimed)</source>
            <translation>elapsed (untimed)</translation>
        </message>
        <message>
            <source>last transaction</source>
            <translation>last transaction</translation>
        </message>
        <message>
            <source>ready</source>
            <translation>ready</translation>
        </message>
        <message>
            <source>Served today: %1</source>
            <translation>Served today: %1</translation>
        </message>
    </context>
    <context>
        <name>Messages</name>
        <message>
            <source>Finish or void the running transaction before signing out</source>
            <extracomment>Messages shown as they are (CounterError, SignInError).</extracomment>
            <translation>Finish or void the running transaction before signing out</translation>
        </message>
        <message>
            <source>A transaction is already running</source>
            <translation>A transaction is already running</translation>
        </message>
        <message>
            <source>Choose the overtime reason for the last transaction first</source>
            <translation>Choose the overtime reason for the last transaction first</translation>
        </message>
        <message>
            <source>No overtime transaction is waiting for a reason</source>
            <translation>No overtime transaction is waiting for a reason</translation>
        </message>
        <message>
            <source>Sign in first</source>
            <translation>Sign in first</translation>
        </message>
        <message>
            <source>No transaction is running</source>
            <translation>No transaction is running</translation>
        </message>
        <message>
            <source>Unknown staff number or wrong PIN</source>
            <translation>Unknown staff number or wrong PIN</translation>
        </message>
        <message>
            <source>%1 is still signed in</source>
            <extracomment>Messages with values in them: the regular expression's groups become %1, %2, …</extracomment>
            <translation>%1 is still signed in</translation>
        </message>
        <message>
            <source>Void is possible only in the first %1 s; press Done instead</source>
            <translation>Void is possible only in the first %1 s; press Done instead</translation>
        </message>
        <message>
            <source>Unknown overtime reason %1</source>
            <translation>Unknown overtime reason %1</translation>
        </message>
        <message>
            <source>Unknown transaction type %1</source>
            <translation>Unknown transaction type %1</translation>
        </message>
        <message>
            <source>Too many wrong PINs: locked for about %1 min</source>
            <translation>Too many wrong PINs: locked for about %1 min</translation>
        </message>
        <message>
            <source>Too many wrong PINs: locked for %1 min</source>
            <translation>Too many wrong PINs: locked for %1 min</translation>
        </message>
        <message>
            <source>Unknown staff number or wrong PIN (%1 tries left)</source>
            <translation>Unknown staff number or wrong PIN (%1 tries left)</translation>
        </message>
        <message>
            <source>NOT SAVED: the database refused the record (%1). Nothing already recorded is lost; free disk space or call support, then try again.</source>
            <translation>NOT SAVED: the database refused the record (%1). Nothing already recorded is lost; free disk space or call support, then try again.</translation>
        </message>
    </context>
    <context>
        <name>SignInPage</name>
        <message>
            <source>Staff number</source>
            <translation>Staff number</translation>
        </message>
        <message>
            <source>PIN</source>
            <translation>PIN</translation>
        </message>
        <message>
            <source>Sign in</source>
            <translation>Sign in</translation>
        </message>
        <message>
            <source>Counter %1 · %2</source>
            <translation>Counter %1 · %2</translation>
        </message>
    </context>
    <context>
        <name>StaffWindow</name>
        <message>
            <source>The app did not close normally last time: %1 running transaction(s) were recorded as interrupted, with the time known so far.</source>
            <translation>The app did not close normally last time: %1 running transaction(s) were recorded as interrupted, with the time known so far.</translation>
        </message>
        <message>
            <source>THE COUNTER DATABASE WAS DAMAGED (%1). It was moved to %2 and will not be uploaded; a new database was started. Tell your duty manager and support.</source>
            <translation>THE COUNTER DATABASE WAS DAMAGED (%1). It was moved to %2 and will not be uploaded; a new database was started. Tell your duty manager and support.</translation>
        </message>
        <message>
            <source>Counter App — Counter %1 · %2</source>
            <translation>Counter App — Counter %1 · %2</translation>
        </message>
        <message>
            <source>Quit Counter App</source>
            <translation>Quit Counter App</translation>
        </message>
        <message>
            <source>A transaction is running. Quit anyway? It will be recorded as interrupted.</source>
            <translation>A transaction is running. Quit anyway? It will be recorded as interrupted.</translation>
        </message>
        <message>
            <source>Counter</source>
            <translation>Counter</translation>
        </message>
        <message>
            <source>Manager</source>
            <translation>Manager</translation>
        </message>
    </context>
</TS>
