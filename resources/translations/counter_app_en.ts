<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
    <context>
        <name>AlertsTab</name>
        <message>
            <source>Time</source>
            <translation>Time</translation>
        </message>
        <message>
            <source>Alert</source>
            <translation>Alert</translation>
        </message>
        <message>
            <source>Counter</source>
            <translation>Counter</translation>
        </message>
        <message>
            <source>Staff</source>
            <translation>Staff</translation>
        </message>
        <message>
            <source>What happened</source>
            <translation>What happened</translation>
        </message>
        <message>
            <source>Acknowledged</source>
            <translation>Acknowledged</translation>
        </message>
        <message>
            <source>No alerts in the past hour</source>
            <translation>No alerts in the past hour</translation>
        </message>
        <message>
            <source>Acknowledge</source>
            <translation>Acknowledge</translation>
        </message>
        <message>
            <source>Acknowledge at the manager desk</source>
            <translation>Acknowledge at the manager desk</translation>
        </message>
        <message>
            <source>The alert could not be acknowledged: %1</source>
            <translation>The alert could not be acknowledged: %1</translation>
        </message>
        <message>
            <source>The hall server's alerts cannot be read: the list shows the last known (%1)</source>
            <translation>The hall server's alerts cannot be read: the list shows the last known (%1)</translation>
        </message>
        <message>
            <source>%1 not acknowledged</source>
            <translation>%1 not acknowledged</translation>
        </message>
        <message>
            <source>Overtime</source>
            <translation>Overtime</translation>
        </message>
        <message>
            <source>Poor rating</source>
            <translation>Poor rating</translation>
        </message>
        <message>
            <source>Not reporting</source>
            <translation>Not reporting</translation>
        </message>
        <message>
            <source>Not yet</source>
            <translation>Not yet</translation>
        </message>
        <message>
            <source>%1 at %2</source>
            <translation>%1 at %2</translation>
        </message>
        <message>
            <source>Alert · counter %1</source>
            <translation>Alert · counter %1</translation>
        </message>
        <message>
            <source>%1 new alerts</source>
            <translation>%1 new alerts</translation>
        </message>
    </context>
    <context>
        <name>BackSoonDialog</name>
        <message>
            <source>Back soon</source>
            <extracomment>The overtime reasons' keys: function keys, which a rating keypad (digits, Enter, +, -) cannot send, so a customer's press can never pick the clerk's reason. Below this the type list and the buttons no longer fit (the window refuses to shrink). Back soon (暂离): the key, and the return times offered in minutes (keys 1–4 in the dialog)</extracomment>
            <translation>Back soon</translation>
        </message>
        <message>
            <source>When will you be back?</source>
            <translation>When will you be back?</translation>
        </message>
        <message>
            <source>In %1 min  (%2)</source>
            <translation>In %1 min  (%2)</translation>
        </message>
        <message>
            <source>or at</source>
            <translation>or at</translation>
        </message>
        <message>
            <source>Back at this time  (Enter)</source>
            <translation>Back at this time  (Enter)</translation>
        </message>
        <message>
            <source>Cancel  (Esc)</source>
            <translation>Cancel  (Esc)</translation>
        </message>
        <message>
            <source>Pick a time later than now (within 12 hours)</source>
            <translation>Pick a time later than now (within 12 hours)</translation>
        </message>
    </context>
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
            <source>Close counter</source>
            <translation>Close counter</translation>
        </message>
        <message>
            <source>My ratings  (F12)</source>
            <translation>My ratings  (F12)</translation>
        </message>
        <message>
            <source>My figures  (Shift+F12)</source>
            <translation>My figures  (Shift+F12)</translation>
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
            <source>Back soon  (F10)</source>
            <translation>Back soon  (F10)</translation>
        </message>
        <message>
            <source>Overtime: why did it take longer? (one press)</source>
            <translation>Overtime: why did it take longer? (one press)</translation>
        </message>
        <message>
            <source>Back soon · back at %1</source>
            <translation>Back soon · back at %1</translation>
        </message>
        <message>
            <source>Business order no. (optional): type or scan, Enter (F11)</source>
            <translation>Business order no. (optional): type or scan, Enter (F11)</translation>
        </message>
        <message>
            <source>That looks like a mobile phone number: phone numbers are never stored. Scan or type the business order number.</source>
            <translation>That looks like a mobile phone number: phone numbers are never stored. Scan or type the business order number.</translation>
        </message>
        <message>
            <source>An order number is 1–40 letters, digits, “-”, “_” or “/”.</source>
            <translation>An order number is 1–40 letters, digits, “-”, “_” or “/”.</translation>
        </message>
        <message>
            <source>Start a transaction first: the order number belongs to the transaction being served.</source>
            <translation>Start a transaction first: the order number belongs to the transaction being served.</translation>
        </message>
        <message>
            <source>Order number %1 recorded</source>
            <translation>Order number %1 recorded</translation>
        </message>
        <message>
            <source>Counter %1 · %2</source>
            <translation>Counter %1 · %2</translation>
        </message>
        <message>
            <source>I'm back  (F10)</source>
            <translation>I'm back  (F10)</translation>
        </message>
        <message>
            <source>Voided</source>
            <translation>Voided</translation>
        </message>
        <message>
            <source>Not rated</source>
            <translation>Not rated</translation>
        </message>
        <message>
            <source>Serving…</source>
            <translation>Serving…</translation>
        </message>
        <message>
            <source>Choose the overtime reason (F5–F9)</source>
            <translation>Choose the overtime reason (F5–F9)</translation>
        </message>
        <message>
            <source>Waiting for the customer (%1 s)</source>
            <translation>Waiting for the customer (%1 s)</translation>
        </message>
        <message>
            <source>Ready for the next customer: press Start (F1)</source>
            <translation>Ready for the next customer: press Start (F1)</translation>
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
            <source>Total %1</source>
            <translation>Total %1</translation>
        </message>
        <message>
            <source>Served today: %1</source>
            <translation>Served today: %1</translation>
        </message>
    </context>
    <context>
        <name>DeskWindow</name>
        <message>
            <source>Counter App · manager desk · %1</source>
            <extracomment>the desk's window at its default size: the manager view's tabs fit without scrolling the sign-in form's width: a form, centred, not two fields across a 1920-pixel screen</extracomment>
            <translation>Counter App · manager desk · %1</translation>
        </message>
        <message>
            <source>The hall server cannot be reached: the view shows what arrived until now (%1)</source>
            <translation>The hall server cannot be reached: the view shows what arrived until now (%1)</translation>
        </message>
        <message>
            <source>Reading the hall from the hall server…</source>
            <translation>Reading the hall from the hall server…</translation>
        </message>
        <message>
            <source>Every counter of the hall, up to date</source>
            <translation>Every counter of the hall, up to date</translation>
        </message>
        <message>
            <source>Manager desk · %1 · every counter of the hall</source>
            <translation>Manager desk · %1 · every counter of the hall</translation>
        </message>
        <message>
            <source>Sign in</source>
            <translation>Sign in</translation>
        </message>
        <message>
            <source>Manager number</source>
            <translation>Manager number</translation>
        </message>
        <message>
            <source>PIN</source>
            <translation>PIN</translation>
        </message>
        <message>
            <source>Not signed in: %1</source>
            <translation>Not signed in: %1</translation>
        </message>
        <message>
            <source>The desk's data folder %1 has no manager account. Add one with counter-app --config "%2" --data-dir "%1" staff add --role manager --number NUMBER --name NAME</source>
            <translation>The desk's data folder %1 has no manager account. Add one with counter-app --config "%2" --data-dir "%1" staff add --role manager --number NUMBER --name NAME</translation>
        </message>
    </context>
    <context>
        <name>HallBoard</name>
        <message>
            <source>No counter has reported to the hall server yet</source>
            <extracomment>the narrowest a tile gets: five across at 800 px the height a tile's text takes at scale 1 (its text grows with the tile up to 2.5 times) the hall server answered after being unreachable (True) or stopped answering (False) a tile was repainted: its counter and its state line (the latency benchmark's mark)</extracomment>
            <translation>No counter has reported to the hall server yet</translation>
        </message>
        <message>
            <source>Hall server unreachable: the tiles show the last state known</source>
            <translation>Hall server unreachable: the tiles show the last state known</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>Closed</translation>
        </message>
        <message>
            <source>Open</source>
            <translation>Open</translation>
        </message>
        <message>
            <source>Serving · %1</source>
            <translation>Serving · %1</translation>
        </message>
        <message>
            <source>Serving</source>
            <translation>Serving</translation>
        </message>
        <message>
            <source>Overtime +%1</source>
            <translation>Overtime +%1</translation>
        </message>
        <message>
            <source>Waiting for the customer</source>
            <translation>Waiting for the customer</translation>
        </message>
        <message>
            <source>Back soon · back at %1</source>
            <translation>Back soon · back at %1</translation>
        </message>
        <message>
            <source>Not reporting</source>
            <translation>Not reporting</translation>
        </message>
        <message>
            <source>Counter %1</source>
            <translation>Counter %1</translation>
        </message>
        <message>
            <source>Served %1</source>
            <translation>Served %1</translation>
        </message>
        <message>
            <source>Service level %1</source>
            <translation>Service level %1</translation>
        </message>
        <message>
            <source>Satisfaction %1</source>
            <translation>Satisfaction %1</translation>
        </message>
        <message>
            <source>Hall today: served %1 · service level %2 · satisfaction %3</source>
            <translation>Hall today: served %1 · service level %2 · satisfaction %3</translation>
        </message>
        <message numerus="yes">
            <source>%n follow-ups overdue</source>
            <translation>
                <numerusform>%n follow-up overdue</numerusform>
                <numerusform>%n follow-ups overdue</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>HallPanel</name>
        <message>
            <source>Refresh</source>
            <translation>Refresh</translation>
        </message>
        <message>
            <source>Counter</source>
            <translation>Counter</translation>
        </message>
        <message>
            <source>Last sync</source>
            <translation>Last sync</translation>
        </message>
        <message>
            <source>Served</source>
            <translation>Served</translation>
        </message>
        <message>
            <source>Service level</source>
            <translation>Service level</translation>
        </message>
        <message>
            <source>Satisfaction</source>
            <translation>Satisfaction</translation>
        </message>
        <message>
            <source>Participation</source>
            <translation>Participation</translation>
        </message>
        <message>
            <source>Overtime</source>
            <translation>Overtime</translation>
        </message>
        <message>
            <source>Staff</source>
            <translation>Staff</translation>
        </message>
        <message>
            <source>Mean rating</source>
            <translation>Mean rating</translation>
        </message>
        <message>
            <source>Whole hall, as of each counter's last sync</source>
            <translation>Whole hall, as of each counter's last sync</translation>
        </message>
        <message>
            <source>No head office configured</source>
            <translation>No head office configured</translation>
        </message>
        <message>
            <source>Asking head office…</source>
            <translation>Asking head office…</translation>
        </message>
        <message>
            <source>Head office did not answer: %1</source>
            <translation>Head office did not answer: %1</translation>
        </message>
        <message>
            <source>Hall %1: %2 served, service level %3, satisfaction %4, participation %5</source>
            <translation>Hall %1: %2 served, service level %3, satisfaction %4, participation %5</translation>
        </message>
        <message>
            <source>Head office has no transactions of this hall for %1</source>
            <translation>Head office has no transactions of this hall for %1</translation>
        </message>
    </context>
    <context>
        <name>KpiTab</name>
        <message>
            <source>Served</source>
            <extracomment>Longer periods show the trend per week: a year of daily points is unreadable (and slow).</extracomment>
            <translation>Served</translation>
        </message>
        <message>
            <source>Service level (within target)</source>
            <translation>Service level (within target)</translation>
        </message>
        <message>
            <source>Median time</source>
            <translation>Median time</translation>
        </message>
        <message>
            <source>90th percentile</source>
            <translation>90th percentile</translation>
        </message>
        <message>
            <source>Overtime cases</source>
            <translation>Overtime cases</translation>
        </message>
        <message>
            <source>Satisfaction rate (4–5)</source>
            <translation>Satisfaction rate (4–5)</translation>
        </message>
        <message>
            <source>Participation (rated)</source>
            <translation>Participation (rated)</translation>
        </message>
        <message>
            <source>Mean rating</source>
            <translation>Mean rating</translation>
        </message>
        <message>
            <source>Handling time</source>
            <translation>Handling time</translation>
        </message>
        <message>
            <source>Daily service level and satisfaction</source>
            <translation>Daily service level and satisfaction</translation>
        </message>
        <message>
            <source>Overtime causes (Pareto)</source>
            <translation>Overtime causes (Pareto)</translation>
        </message>
        <message>
            <source>Rating distribution</source>
            <translation>Rating distribution</translation>
        </message>
        <message>
            <source>Satisfaction by handling time</source>
            <translation>Satisfaction by handling time</translation>
        </message>
        <message>
            <source>%1 voided, %2 interrupted</source>
            <translation>%1 voided, %2 interrupted</translation>
        </message>
        <message>
            <source>%1 of %2 timed</source>
            <translation>%1 of %2 timed</translation>
        </message>
        <message>
            <source>%1 of %2 ratings</source>
            <translation>%1 of %2 ratings</translation>
        </message>
        <message>
            <source>upheld appeals: %1</source>
            <translation>upheld appeals: %1</translation>
        </message>
        <message>
            <source>Weekly service level and satisfaction</source>
            <translation>Weekly service level and satisfaction</translation>
        </message>
        <message>
            <source>Overtime causes: the manager's cause where reviewed, else the staff's reason. Satisfaction by handling time counts rated, timed transactions.</source>
            <translation>Overtime causes: the manager's cause where reviewed, else the staff's reason. Satisfaction by handling time counts rated, timed transactions.</translation>
        </message>
        <message>
            <source>Ratings taken out by upheld appeals (not in the figures): %1.</source>
            <translation>Ratings taken out by upheld appeals (not in the figures): %1.</translation>
        </message>
        <message>
            <source>Not stated</source>
            <translation>Not stated</translation>
        </message>
    </context>
    <context>
        <name>ManagerCharts</name>
        <message>
            <source>Transactions</source>
            <extracomment>lupdate collects `translate("Context", "text")` calls into the catalogues The chart each view shows, while its series and axes can be updated in place: a filter change then replaces points and ranges instead of building (and laying out) a new chart. dash patterns for several types' target lines on one histogram</extracomment>
            <translation>Transactions</translation>
        </message>
        <message>
            <source>handling time, minutes (last bar: longer)</source>
            <translation>handling time, minutes (last bar: longer)</translation>
        </message>
        <message>
            <source>transactions</source>
            <translation>transactions</translation>
        </message>
        <message>
            <source>Service level</source>
            <extracomment>fewer transactions than this in a day (or week) of the trend: its point is marked thin</extracomment>
            <translation>Service level</translation>
        </message>
        <message>
            <source>Satisfaction rate</source>
            <translation>Satisfaction rate</translation>
        </message>
        <message>
            <source>fewer than %1 transactions</source>
            <translation>fewer than %1 transactions</translation>
        </message>
        <message>
            <source>% of transactions</source>
            <translation>% of transactions</translation>
        </message>
        <message>
            <source>week</source>
            <translation>week</translation>
        </message>
        <message>
            <source>day</source>
            <translation>day</translation>
        </message>
        <message>
            <source>Cases</source>
            <translation>Cases</translation>
        </message>
        <message>
            <source>Cumulative %</source>
            <translation>Cumulative %</translation>
        </message>
        <message>
            <source>overtime cases</source>
            <translation>overtime cases</translation>
        </message>
        <message>
            <source>cumulative share</source>
            <translation>cumulative share</translation>
        </message>
        <message>
            <source>rating (button pressed)</source>
            <translation>rating (button pressed)</translation>
        </message>
        <message>
            <source>ratings</source>
            <translation>ratings</translation>
        </message>
        <message>
            <source>Within target</source>
            <translation>Within target</translation>
        </message>
        <message>
            <source>Over target</source>
            <translation>Over target</translation>
        </message>
        <message>
            <source>handling time, % of target</source>
            <translation>handling time, % of target</translation>
        </message>
        <message>
            <source>satisfaction rate (4–5)</source>
            <translation>satisfaction rate (4–5)</translation>
        </message>
        <message>
            <source>Overtime rate</source>
            <translation>Overtime rate</translation>
        </message>
    </context>
    <context>
        <name>ManagerView</name>
        <message>
            <source>Duty manager · %1 · counter %2</source>
            <translation>Duty manager · %1 · counter %2</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>Refresh</translation>
        </message>
        <message>
            <source>Last 7 days</source>
            <translation>Last 7 days</translation>
        </message>
        <message>
            <source>Last 30 days</source>
            <translation>Last 30 days</translation>
        </message>
        <message>
            <source>This month</source>
            <translation>This month</translation>
        </message>
        <message>
            <source>Last month</source>
            <translation>Last month</translation>
        </message>
        <message>
            <source>Last 12 months</source>
            <translation>Last 12 months</translation>
        </message>
        <message>
            <source>Custom</source>
            <translation>Custom</translation>
        </message>
        <message>
            <source>All types</source>
            <translation>All types</translation>
        </message>
        <message>
            <source>Period</source>
            <translation>Period</translation>
        </message>
        <message>
            <source>Staff</source>
            <translation>Staff</translation>
        </message>
        <message>
            <source>Type</source>
            <translation>Type</translation>
        </message>
        <message>
            <source>Review queue</source>
            <translation>Review queue</translation>
        </message>
        <message>
            <source>Duty manager · %1 · every counter of the hall</source>
            <extracomment>how often a visible hall view looks for records the mirror pulled meanwhile emitted after any manager event was recorded (review, follow-up, star)</extracomment>
            <translation>Duty manager · %1 · every counter of the hall</translation>
        </message>
        <message>
            <source>DEMO DATA</source>
            <translation>DEMO DATA</translation>
        </message>
        <message>
            <source>RECORDS CHANGED: the event chain of this counter is broken. Stored events were changed outside the app; head office has been sent everything and records the incident. Tell head office.</source>
            <translation>RECORDS CHANGED: the event chain of this counter is broken. Stored events were changed outside the app; head office has been sent everything and records the incident. Tell head office.</translation>
        </message>
        <message>
            <source>Found %1: events %2–%3 do not verify (the last good one is %4); recorded as event %5.</source>
            <translation>Found %1: events %2–%3 do not verify (the last good one is %4); recorded as event %5.</translation>
        </message>
        <message>
            <source>Hall board</source>
            <translation>Hall board</translation>
        </message>
        <message>
            <source>Alerts</source>
            <translation>Alerts</translation>
        </message>
        <message>
            <source>KPIs and charts</source>
            <translation>KPIs and charts</translation>
        </message>
        <message>
            <source>Monthly summary and star</source>
            <translation>Monthly summary and star</translation>
        </message>
        <message>
            <source>Head office</source>
            <translation>Head office</translation>
        </message>
        <message>
            <source>Export overtime log…</source>
            <translation>Export overtime log…</translation>
        </message>
        <message>
            <source>Export monthly summary…</source>
            <translation>Export monthly summary…</translation>
        </message>
        <message>
            <source>All staff</source>
            <translation>All staff</translation>
        </message>
        <message numerus="yes">
            <source>To review: %1 overtime · %n poor ratings</source>
            <translation>
                <numerusform>To review: %1 overtime · %n poor rating</numerusform>
                <numerusform>To review: %1 overtime · %n poor ratings</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n follow-ups overdue</source>
            <translation>
                <numerusform>%n follow-up overdue</numerusform>
                <numerusform>%n follow-ups overdue</numerusform>
            </translation>
        </message>
        <message>
            <source>All cases reviewed</source>
            <translation>All cases reviewed</translation>
        </message>
        <message>
            <source>%1 overtime cases exported to %2</source>
            <translation>%1 overtime cases exported to %2</translation>
        </message>
        <message>
            <source>Summary of %1 exported to %2</source>
            <translation>Summary of %1 exported to %2</translation>
        </message>
        <message>
            <source>Export overtime log</source>
            <translation>Export overtime log</translation>
        </message>
        <message>
            <source>Excel workbook (*.xlsx);;CSV (*.csv)</source>
            <translation>Excel workbook (*.xlsx);;CSV (*.csv)</translation>
        </message>
        <message>
            <source>Export monthly summary</source>
            <translation>Export monthly summary</translation>
        </message>
        <message>
            <source>PDF (*.pdf);;Excel workbook (*.xlsx);;CSV (*.csv)</source>
            <translation>PDF (*.pdf);;Excel workbook (*.xlsx);;CSV (*.csv)</translation>
        </message>
        <message>
            <source>Export failed: %1</source>
            <translation>Export failed: %1</translation>
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
            <source>Waiting for the customer</source>
            <translation>Waiting for the customer</translation>
        </message>
        <message>
            <source>Unknown staff number or wrong PIN</source>
            <translation>Unknown staff number or wrong PIN</translation>
        </message>
        <message>
            <source>This account is disabled</source>
            <translation>This account is disabled</translation>
        </message>
        <message>
            <source>Back soon is on: press I'm back first</source>
            <translation>Back soon is on: press I'm back first</translation>
        </message>
        <message>
            <source>Back soon is already on</source>
            <translation>Back soon is already on</translation>
        </message>
        <message>
            <source>Back soon is not on</source>
            <translation>Back soon is not on</translation>
        </message>
        <message>
            <source>Finish or void the running transaction first</source>
            <translation>Finish or void the running transaction first</translation>
        </message>
        <message>
            <source>the types change only while no transaction is under way</source>
            <translation>the types change only while no transaction is under way</translation>
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
            <source>Not a return time: %1</source>
            <translation>Not a return time: %1</translation>
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
            <source>Too many wrong sign-ins: wait %1 s</source>
            <translation>Too many wrong sign-ins: wait %1 s</translation>
        </message>
        <message>
            <source>another Counter App is using %1; close it first</source>
            <translation>another Counter App is using %1; close it first</translation>
        </message>
        <message>
            <source>NOT SAVED: the database refused the record (%1). Nothing already recorded is lost; free disk space or call support, then try again.</source>
            <translation>NOT SAVED: the database refused the record (%1). Nothing already recorded is lost; free disk space or call support, then try again.</translation>
        </message>
    </context>
    <context>
        <name>MyFiguresDialog</name>
        <message>
            <source>My figures</source>
            <translation>My figures</translation>
        </message>
        <message>
            <source>Your own figures at this counter; nobody else's. Service level: transactions within their target ÷ timed ones. Satisfaction: ratings of 4–5 ÷ ratings counted (an upheld appeal is not counted).</source>
            <translation>Your own figures at this counter; nobody else's. Service level: transactions within their target ÷ timed ones. Satisfaction: ratings of 4–5 ÷ ratings counted (an upheld appeal is not counted).</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>Close</translation>
        </message>
        <message>
            <source>Rated %1 (%2)</source>
            <translation>Rated %1 (%2)</translation>
        </message>
        <message>
            <source>Served</source>
            <translation>Served</translation>
        </message>
        <message>
            <source>Service level</source>
            <translation>Service level</translation>
        </message>
        <message>
            <source>Satisfaction</source>
            <translation>Satisfaction</translation>
        </message>
        <message>
            <source>Ratings</source>
            <translation>Ratings</translation>
        </message>
        <message>
            <source>Mean rating</source>
            <translation>Mean rating</translation>
        </message>
        <message>
            <source>Appeals upheld</source>
            <translation>Appeals upheld</translation>
        </message>
        <message>
            <source>Sign in first: only your own figures are shown</source>
            <translation>Sign in first: only your own figures are shown</translation>
        </message>
    </context>
    <context>
        <name>MyRatingsDialog</name>
        <message>
            <source>My ratings</source>
            <translation>My ratings</translation>
        </message>
        <message>
            <source>Your poor ratings of earlier days (never today's), by date only. If one was not deserved, appeal it: a manager other than you decides. An upheld appeal takes the rating out of satisfaction and the star; it is never deleted.</source>
            <translation>Your poor ratings of earlier days (never today's), by date only. If one was not deserved, appeal it: a manager other than you decides. An upheld appeal takes the rating out of satisfaction and the star; it is never deleted.</translation>
        </message>
        <message>
            <source>Date</source>
            <translation>Date</translation>
        </message>
        <message>
            <source>Type</source>
            <translation>Type</translation>
        </message>
        <message>
            <source>Rating</source>
            <translation>Rating</translation>
        </message>
        <message>
            <source>Appeal</source>
            <translation>Appeal</translation>
        </message>
        <message>
            <source>Choose a reason…</source>
            <translation>Choose a reason…</translation>
        </message>
        <message>
            <source>Note (required for “other”)</source>
            <translation>Note (required for “other”)</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>Close</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>Reason</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>Note</translation>
        </message>
        <message>
            <source>No poor ratings of earlier days.</source>
            <translation>No poor ratings of earlier days.</translation>
        </message>
        <message>
            <source>Not appealed</source>
            <translation>Not appealed</translation>
        </message>
        <message>
            <source>Appealed, waiting for a manager</source>
            <translation>Appealed, waiting for a manager</translation>
        </message>
        <message>
            <source>Upheld: not counted</source>
            <translation>Upheld: not counted</translation>
        </message>
        <message>
            <source>Rejected</source>
            <translation>Rejected</translation>
        </message>
        <message>
            <source>Choose a rating you have not appealed yet.</source>
            <translation>Choose a rating you have not appealed yet.</translation>
        </message>
        <message>
            <source>Choose a reason first.</source>
            <translation>Choose a reason first.</translation>
        </message>
        <message>
            <source>Appeal recorded: a manager other than you decides it.</source>
            <translation>Appeal recorded: a manager other than you decides it.</translation>
        </message>
        <message>
            <source>Say why in the note when choosing “other”</source>
            <translation>Say why in the note when choosing “other”</translation>
        </message>
        <message>
            <source>Sign in first: only your own ratings can be appealed</source>
            <translation>Sign in first: only your own ratings can be appealed</translation>
        </message>
        <message>
            <source>Finish the current customer first</source>
            <translation>Finish the current customer first</translation>
        </message>
        <message>
            <source>Only your own poor ratings of earlier days can be appealed, once each</source>
            <translation>Only your own poor ratings of earlier days can be appealed, once each</translation>
        </message>
    </context>
    <context>
        <name>PinChangeDialog</name>
        <message>
            <source>Change your PIN</source>
            <translation>Change your PIN</translation>
        </message>
        <message>
            <source>A manager's PIN must have at least %1 digits. Choose a new PIN for %2 before signing in.</source>
            <translation>A manager's PIN must have at least %1 digits. Choose a new PIN for %2 before signing in.</translation>
        </message>
        <message>
            <source>New PIN</source>
            <translation>New PIN</translation>
        </message>
        <message>
            <source>New PIN again</source>
            <translation>New PIN again</translation>
        </message>
        <message>
            <source>The two PINs differ</source>
            <translation>The two PINs differ</translation>
        </message>
        <message>
            <source>The new PIN must be %1 to 12 digits</source>
            <translation>The new PIN must be %1 to 12 digits</translation>
        </message>
        <message>
            <source>The new PIN must differ from the old one</source>
            <translation>The new PIN must differ from the old one</translation>
        </message>
        <message>
            <source>Not signed in: your PIN must be changed first</source>
            <translation>Not signed in: your PIN must be changed first</translation>
        </message>
    </context>
    <context>
        <name>ReviewQueue</name>
        <message>
            <source>When</source>
            <extracomment>lupdate collects `translate("Context", "text")` calls into the catalogues follow-ups: the 好差评 deadline, the business order number, a shift's handover the columns sorted on a case's facts (QueueRow), without loading every case's details the cases whose details are loaded at once, from the first shown one that needs them the clerk appealed the rating (申诉); open until a manager other than them decides a poor rating with no follow-up past its deadline "appeals": the appealed ratings (申诉), whatever their day (ReviewTab loads them)</extracomment>
            <translation>When</translation>
        </message>
        <message>
            <source>Counter</source>
            <translation>Counter</translation>
        </message>
        <message>
            <source>Staff</source>
            <translation>Staff</translation>
        </message>
        <message>
            <source>Type</source>
            <translation>Type</translation>
        </message>
        <message>
            <source>Target</source>
            <translation>Target</translation>
        </message>
        <message>
            <source>Actual</source>
            <translation>Actual</translation>
        </message>
        <message>
            <source>Overtime</source>
            <translation>Overtime</translation>
        </message>
        <message>
            <source>Staff's reason</source>
            <translation>Staff's reason</translation>
        </message>
        <message>
            <source>Rating</source>
            <translation>Rating</translation>
        </message>
        <message>
            <source>Issue</source>
            <translation>Issue</translation>
        </message>
        <message>
            <source>Manager's cause</source>
            <translation>Manager's cause</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>Note</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Two managers decided this case minutes apart (%1); the later decision counts. Check it.</source>
            <translation>Two managers decided this case minutes apart (%1); the later decision counts. Check it.</translation>
        </message>
        <message>
            <source>Follow-up due</source>
            <translation>Follow-up due</translation>
        </message>
        <message>
            <source>Order no.</source>
            <translation>Order no.</translation>
        </message>
        <message>
            <source>Handed over</source>
            <translation>Handed over</translation>
        </message>
        <message>
            <source>type changed after target</source>
            <translation>type changed after target</translation>
        </message>
        <message>
            <source>Poor rating</source>
            <translation>Poor rating</translation>
        </message>
        <message>
            <source>decided twice</source>
            <translation>decided twice</translation>
        </message>
        <message>
            <source>Appeal</source>
            <translation>Appeal</translation>
        </message>
        <message>
            <source>Appeal to decide</source>
            <translation>Appeal to decide</translation>
        </message>
        <message>
            <source>Followed up, open</source>
            <translation>Followed up, open</translation>
        </message>
        <message>
            <source>Reviewed</source>
            <translation>Reviewed</translation>
        </message>
        <message>
            <source>To review</source>
            <translation>To review</translation>
        </message>
        <message>
            <source>%1 overdue</source>
            <translation>%1 overdue</translation>
        </message>
        <message>
            <source>handed over by %1</source>
            <translation>handed over by %1</translation>
        </message>
    </context>
    <context>
        <name>ReviewTab</name>
        <message>
            <source>Overtime and poor ratings</source>
            <extracomment>where the status column is shown: after when, counter and staff a review was recorded (the view updates its "to review" counts)</extracomment>
            <translation>Overtime and poor ratings</translation>
        </message>
        <message>
            <source>Overtime only</source>
            <translation>Overtime only</translation>
        </message>
        <message>
            <source>Poor ratings only</source>
            <translation>Poor ratings only</translation>
        </message>
        <message>
            <source>Unreviewed only</source>
            <translation>Unreviewed only</translation>
        </message>
        <message>
            <source>Show</source>
            <translation>Show</translation>
        </message>
        <message>
            <source>What happened (required for “other”)</source>
            <translation>What happened (required for “other”)</translation>
        </message>
        <message>
            <source>Appeals</source>
            <translation>Appeals</translation>
        </message>
        <message>
            <source>Overdue follow-ups only</source>
            <translation>Overdue follow-ups only</translation>
        </message>
        <message>
            <source>Choose a cause…</source>
            <translation>Choose a cause…</translation>
        </message>
        <message>
            <source>Accept the type change: count against the new type's target</source>
            <translation>Accept the type change: count against the new type's target</translation>
        </message>
        <message>
            <source>Record cause</source>
            <translation>Record cause</translation>
        </message>
        <message>
            <source>Overtime review</source>
            <translation>Overtime review</translation>
        </message>
        <message>
            <source>Cause</source>
            <translation>Cause</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>Note</translation>
        </message>
        <message>
            <source>Customer called back</source>
            <translation>Customer called back</translation>
        </message>
        <message>
            <source>Resolved</source>
            <translation>Resolved</translation>
        </message>
        <message>
            <source>Record follow-up</source>
            <translation>Record follow-up</translation>
        </message>
        <message>
            <source>Poor-rating follow-up</source>
            <translation>Poor-rating follow-up</translation>
        </message>
        <message>
            <source>Choose a decision…</source>
            <translation>Choose a decision…</translation>
        </message>
        <message>
            <source>Uphold: take the rating out of the figures</source>
            <translation>Uphold: take the rating out of the figures</translation>
        </message>
        <message>
            <source>Reject: the rating counts</source>
            <translation>Reject: the rating counts</translation>
        </message>
        <message>
            <source>Why (required to reject)</source>
            <translation>Why (required to reject)</translation>
        </message>
        <message>
            <source>Record decision</source>
            <translation>Record decision</translation>
        </message>
        <message>
            <source>Appeal</source>
            <translation>Appeal</translation>
        </message>
        <message>
            <source>Decision</source>
            <translation>Decision</translation>
        </message>
        <message numerus="yes">
            <source>%n cases shown, %1 to review</source>
            <translation>
                <numerusform>%n case shown, %1 to review</numerusform>
                <numerusform>%n cases shown, %1 to review</numerusform>
            </translation>
        </message>
        <message>
            <source>Select a case in the table to review it.</source>
            <translation>Select a case in the table to review it.</translation>
        </message>
        <message>
            <source>Counter</source>
            <translation>Counter</translation>
        </message>
        <message>
            <source>Staff</source>
            <translation>Staff</translation>
        </message>
        <message>
            <source>Type</source>
            <translation>Type</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>Time</translation>
        </message>
        <message>
            <source>Overtime</source>
            <translation>Overtime</translation>
        </message>
        <message>
            <source>Type changed after target</source>
            <translation>Type changed after target</translation>
        </message>
        <message>
            <source>Staff's reason</source>
            <translation>Staff's reason</translation>
        </message>
        <message>
            <source>none given</source>
            <translation>none given</translation>
        </message>
        <message>
            <source>Rating</source>
            <translation>Rating</translation>
        </message>
        <message>
            <source>This is your own case: another manager decides it.</source>
            <translation>This is your own case: another manager decides it.</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>Reason</translation>
        </message>
        <message>
            <source>Clerk's note</source>
            <translation>Clerk's note</translation>
        </message>
        <message>
            <source>Upheld</source>
            <translation>Upheld</translation>
        </message>
        <message>
            <source>Rejected</source>
            <translation>Rejected</translation>
        </message>
        <message>
            <source>Choose a cause first.</source>
            <translation>Choose a cause first.</translation>
        </message>
        <message>
            <source>Cause recorded</source>
            <translation>Cause recorded</translation>
        </message>
        <message>
            <source>Follow-up recorded</source>
            <translation>Follow-up recorded</translation>
        </message>
        <message>
            <source>You appealed this rating yourself: another manager decides it.</source>
            <translation>You appealed this rating yourself: another manager decides it.</translation>
        </message>
        <message>
            <source>Choose a decision first.</source>
            <translation>Choose a decision first.</translation>
        </message>
        <message>
            <source>Say why the appeal is rejected in the note.</source>
            <translation>Say why the appeal is rejected in the note.</translation>
        </message>
        <message>
            <source>Decision recorded</source>
            <translation>Decision recorded</translation>
        </message>
        <message>
            <source>Not recorded: %1</source>
            <translation>Not recorded: %1</translation>
        </message>
        <message>
            <source>e.g. the business system was down</source>
            <translation>e.g. the business system was down</translation>
        </message>
        <message>
            <source>Give one cause to all overtime cases in this window</source>
            <translation>Give one cause to all overtime cases in this window</translation>
        </message>
        <message>
            <source>One cause for a time window</source>
            <translation>One cause for a time window</translation>
        </message>
        <message>
            <source>Note for the next shift</source>
            <translation>Note for the next shift</translation>
        </message>
        <message>
            <source>Hand over open cases</source>
            <translation>Hand over open cases</translation>
        </message>
        <message>
            <source>Shift handover</source>
            <translation>Shift handover</translation>
        </message>
        <message>
            <source>To</source>
            <translation>To</translation>
        </message>
        <message>
            <source>Confirm</source>
            <translation>Confirm</translation>
        </message>
        <message>
            <source>The window ends before it starts: choose a later end time.</source>
            <translation>The window ends before it starts: choose a later end time.</translation>
        </message>
        <message>
            <source>There is no overtime case in this window to give the cause to.</source>
            <translation>There is no overtime case in this window to give the cause to.</translation>
        </message>
        <message>
            <source>The only overtime cases in this window are your own: another manager decides them.</source>
            <translation>The only overtime cases in this window are your own: another manager decides them.</translation>
        </message>
        <message>
            <source>Give “%1” to all %2 overtime cases in this window?</source>
            <translation>Give “%1” to all %2 overtime cases in this window?</translation>
        </message>
        <message>
            <source>%1 of your own cases are skipped.</source>
            <translation>%1 of your own cases are skipped.</translation>
        </message>
        <message numerus="yes">
            <source>Cause recorded for %n cases</source>
            <translation>
                <numerusform>Cause recorded for %n case</numerusform>
                <numerusform>Cause recorded for %n cases</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n cases handed over to %1</source>
            <translation>
                <numerusform>%n case handed over to %1</numerusform>
                <numerusform>%n cases handed over to %1</numerusform>
            </translation>
        </message>
        <message>
            <source>There is no other manager to hand the cases over to.</source>
            <translation>There is no other manager to hand the cases over to.</translation>
        </message>
        <message>
            <source>There is no open case to hand over.</source>
            <translation>There is no open case to hand over.</translation>
        </message>
        <message>
            <source>At most %1 cases can be handed over at once: narrow the period.</source>
            <translation>At most %1 cases can be handed over at once: narrow the period.</translation>
        </message>
        <message>
            <source>Hand %1 open cases over to %2?</source>
            <translation>Hand %1 open cases over to %2?</translation>
        </message>
        <message>
            <source>skipped (your own): %1</source>
            <translation>skipped (your own): %1</translation>
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
            <extracomment>After show(): the windows' first paint comes first, then the sync, stream and pulls start. On the way out, a sync to head office runs at most this long (counter PCs are switched off at night, so the nightly window may never come); a dead network does not hold the exit. How often Python gets the chance to run a signal handler (SIGTERM) while Qt waits.</extracomment>
            <translation>The app did not close normally last time: %1 running transaction(s) were recorded as interrupted, with the time known so far.</translation>
        </message>
        <message>
            <source>The rating keypad is configured but cannot be used: %1. Customers can still rate on the screen where allowed.</source>
            <translation>The rating keypad is configured but cannot be used: %1. Customers can still rate on the screen where allowed.</translation>
        </message>
        <message>
            <source>THE COUNTER DATABASE WAS DAMAGED (%1). It was moved to %2 and will not be uploaded; a new database was started. Tell your duty manager and support.</source>
            <extracomment>where to move the staff window's frame first, when that makes room beside it</extracomment>
            <translation>THE COUNTER DATABASE WAS DAMAGED (%1). It was moved to %2 and will not be uploaded; a new database was started. Tell your duty manager and support.</translation>
        </message>
        <message>
            <source>THE COUNTER'S RECORDS WERE CHANGED outside the app: events %1–%2 no longer verify (the last good one is %3). This was recorded and will be reported to head office. Tell your duty manager.</source>
            <translation>THE COUNTER'S RECORDS WERE CHANGED outside the app: events %1–%2 no longer verify (the last good one is %3). This was recorded and will be reported to head office. Tell your duty manager.</translation>
        </message>
        <message>
            <source>Counter App — Counter %1 · %2</source>
            <translation>Counter App — Counter %1 · %2</translation>
        </message>
        <message>
            <source>DEMO DATA: these records were written by demo-data</source>
            <translation>DEMO DATA: these records were written by demo-data</translation>
        </message>
        <message>
            <source>Close counter</source>
            <translation>Close counter</translation>
        </message>
        <message>
            <source>A transaction is running. Close the counter anyway? It will be recorded as interrupted, with its time so far.</source>
            <translation>A transaction is running. Close the counter anyway? It will be recorded as interrupted, with its time so far.</translation>
        </message>
        <message>
            <source>Keep serving</source>
            <translation>Keep serving</translation>
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
    <context>
        <name>SummaryPdf</name>
        <message>
            <source>Monthly service summary</source>
            <extracomment>lupdate collects `translate("Context", "text")` calls into the catalogues</extracomment>
            <translation>Monthly service summary</translation>
        </message>
        <message>
            <source>Counter</source>
            <translation>Counter</translation>
        </message>
        <message>
            <source>Suggested service star</source>
            <translation>Suggested service star</translation>
        </message>
        <message>
            <source>score</source>
            <translation>score</translation>
        </message>
        <message>
            <source>No suggested star: nobody has enough ratings this month</source>
            <translation>No suggested star: nobody has enough ratings this month</translation>
        </message>
        <message>
            <source>Confirmed star</source>
            <translation>Confirmed star</translation>
        </message>
        <message>
            <source>by</source>
            <translation>by</translation>
        </message>
        <message>
            <source>Not yet confirmed by the duty manager</source>
            <translation>Not yet confirmed by the duty manager</translation>
        </message>
        <message>
            <source>Tie broken by</source>
            <translation>Tie broken by</translation>
        </message>
        <message>
            <source>Rule</source>
            <translation>Rule</translation>
        </message>
        <message>
            <source>Served</source>
            <translation>Served</translation>
        </message>
        <message>
            <source>Service level</source>
            <translation>Service level</translation>
        </message>
        <message>
            <source>Satisfaction rate</source>
            <translation>Satisfaction rate</translation>
        </message>
        <message>
            <source>Participation rate</source>
            <translation>Participation rate</translation>
        </message>
        <message>
            <source>Median time</source>
            <translation>Median time</translation>
        </message>
        <message>
            <source>90th percentile</source>
            <translation>90th percentile</translation>
        </message>
        <message>
            <source>Staff</source>
            <translation>Staff</translation>
        </message>
        <message>
            <source>Rated</source>
            <translation>Rated</translation>
        </message>
        <message>
            <source>Mean rating</source>
            <translation>Mean rating</translation>
        </message>
        <message>
            <source>Overtime rate</source>
            <translation>Overtime rate</translation>
        </message>
        <message>
            <source>Participation</source>
            <translation>Participation</translation>
        </message>
        <message>
            <source>Hours signed in</source>
            <translation>Hours signed in</translation>
        </message>
        <message>
            <source>Share serving</source>
            <translation>Share serving</translation>
        </message>
        <message>
            <source>Closes during service</source>
            <translation>Closes during service</translation>
        </message>
        <message>
            <source>Star score</source>
            <translation>Star score</translation>
        </message>
        <message>
            <source>Satisfaction rate and overtime rate per staff member</source>
            <translation>Satisfaction rate and overtime rate per staff member</translation>
        </message>
        <message>
            <source>Generated</source>
            <translation>Generated</translation>
        </message>
    </context>
    <context>
        <name>SummaryTab</name>
        <message>
            <source>Month</source>
            <translation>Month</translation>
        </message>
        <message>
            <source>Staff</source>
            <translation>Staff</translation>
        </message>
        <message>
            <source>Served</source>
            <translation>Served</translation>
        </message>
        <message>
            <source>Rated</source>
            <translation>Rated</translation>
        </message>
        <message>
            <source>Mean rating</source>
            <translation>Mean rating</translation>
        </message>
        <message>
            <source>Satisfaction rate</source>
            <translation>Satisfaction rate</translation>
        </message>
        <message>
            <source>Overtime rate</source>
            <translation>Overtime rate</translation>
        </message>
        <message>
            <source>Participation</source>
            <translation>Participation</translation>
        </message>
        <message>
            <source>Hours signed in</source>
            <translation>Hours signed in</translation>
        </message>
        <message>
            <source>Share serving</source>
            <translation>Share serving</translation>
        </message>
        <message>
            <source>Hours away</source>
            <translation>Hours away</translation>
        </message>
        <message>
            <source>Star score</source>
            <translation>Star score</translation>
        </message>
        <message>
            <source>Closes during service</source>
            <translation>Closes during service</translation>
        </message>
        <message>
            <source>Upheld appeals</source>
            <translation>Upheld appeals</translation>
        </message>
        <message>
            <source>Confirm star</source>
            <translation>Confirm star</translation>
        </message>
        <message>
            <source>Star of the month</source>
            <translation>Star of the month</translation>
        </message>
        <message>
            <source>Satisfaction rate and overtime rate per staff member</source>
            <translation>Satisfaction rate and overtime rate per staff member</translation>
        </message>
        <message>
            <source>Rule: a staff member needs at least %1 ratings in the month. Score = (C × m + sum of own ratings) ÷ (C + number of own ratings), with C = %2 and m = the hall's mean rating that month: a Bayesian average, so a few ratings stay close to the mean. The highest score is suggested; scores equal to two decimals go to the lower overtime rate, then to more ratings.</source>
            <translation>Rule: a staff member needs at least %1 ratings in the month. Score = (C × m + sum of own ratings) ÷ (C + number of own ratings), with C = %2 and m = the hall's mean rating that month: a Bayesian average, so a few ratings stay close to the mean. The highest score is suggested; scores equal to two decimals go to the lower overtime rate, then to more ratings.</translation>
        </message>
        <message>
            <source>No data yet</source>
            <translation>No data yet</translation>
        </message>
        <message>
            <source>Suggested star: %1 — score %2 (mean %3 from %4 ratings)</source>
            <translation>Suggested star: %1 — score %2 (mean %3 from %4 ratings)</translation>
        </message>
        <message>
            <source>No suggestion: nobody has %1 ratings this month yet</source>
            <translation>No suggestion: nobody has %1 ratings this month yet</translation>
        </message>
        <message>
            <source>Tie on score, decided by: %1</source>
            <translation>Tie on score, decided by: %1</translation>
        </message>
        <message>
            <source>Confirmed: %1, by %2 on %3</source>
            <translation>Confirmed: %1, by %2 on %3</translation>
        </message>
        <message>
            <source>%1 at %2</source>
            <translation>%1 at %2</translation>
        </message>
        <message>
            <source>Decided twice, minutes apart: %1 (counts) and %2: agree on one star</source>
            <translation>Decided twice, minutes apart: %1 (counts) and %2: agree on one star</translation>
        </message>
        <message>
            <source>Not confirmed yet</source>
            <translation>Not confirmed yet</translation>
        </message>
    </context>
    <context>
        <name>SyncPanel</name>
        <message>
            <source>Sync now</source>
            <translation>Sync now</translation>
        </message>
        <message>
            <source>Head office sync</source>
            <translation>Head office sync</translation>
        </message>
        <message>
            <source>Syncing…</source>
            <translation>Syncing…</translation>
        </message>
        <message>
            <source>No head office configured</source>
            <translation>No head office configured</translation>
        </message>
        <message>
            <source>Set [head_office] url and token in the configuration.</source>
            <translation>Set [head_office] url and token in the configuration.</translation>
        </message>
        <message>
            <source>Not synced yet</source>
            <translation>Not synced yet</translation>
        </message>
        <message>
            <source>Last sync: %1 — OK</source>
            <translation>Last sync: %1 — OK</translation>
        </message>
        <message>
            <source>%1 events sent; head office holds all %2 events</source>
            <translation>%1 events sent; head office holds all %2 events</translation>
        </message>
        <message>
            <source>Last sync: %1 — FAILED</source>
            <translation>Last sync: %1 — FAILED</translation>
        </message>
        <message numerus="yes">
            <source>(%n events waiting)</source>
            <translation>
                <numerusform>(%n event waiting)</numerusform>
                <numerusform>(%n events waiting)</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Head office marked %n events invalid: see the log</source>
            <translation>
                <numerusform>Head office marked %n event invalid: see the log</numerusform>
                <numerusform>Head office marked %n events invalid: see the log</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Head office held %n reviews pending until their transaction arrives: see the log</source>
            <translation>
                <numerusform>Head office held %n review pending until its transaction arrives: see the log</numerusform>
                <numerusform>Head office held %n reviews pending until their transaction arrives: see the log</numerusform>
            </translation>
        </message>
        <message>
            <source>Error: %1</source>
            <translation>Error: %1</translation>
        </message>
        <message>
            <source>Last successful sync: %1</source>
            <translation>Last successful sync: %1</translation>
        </message>
        <message>
            <source>Next sync: %1</source>
            <translation>Next sync: %1</translation>
        </message>
    </context>
</TS>
